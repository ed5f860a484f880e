package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// documentServer serves a small PDF and a text file on loopback, as a
// client's documents by URL name them.
func documentServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/files/report.pdf":
			w.Header().Set("Content-Type", "application/pdf")
			w.Write(testPDF)
		case "/files/notes":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte(urlNotes))
		case "/files/blob": // a PDF served as bytes of no type: known by its %PDF-
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(testPDF)
		case "/files/page.html":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><body>hi</body></html>"))
		case "/files/a.docx": // bytes of no type that are neither a PDF nor text
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write([]byte("PK\x03\x04\x14\x00\x06\x00\xff\xfe"))
		case "/files/big.pdf":
			w.Header().Set("Content-Type", "application/pdf")
			w.Write([]byte("%PDF-1.4\n" + strings.Repeat("x", 200)))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

const urlNotes = "the launch code is 0000\n"

// A document by URL — Anthropic's document url source (in a message and in
// a tool result), a Responses input_file's file_url — is fetched when
// ALLOW_IMAGE_URLS allows it (loopback here, as for image URLs) and goes
// to Qwen as an inline document does: uploaded, parsed, attached. Its
// type is the server's Content-Type or its bytes, its name the client's
// or the URL's last element. The record keeps the URL, not the bytes.
// Before, each was a 400 invalid_document whatever the policy.
func TestDocumentsByURLAreFetchedAndAttached(t *testing.T) {
	files := documentServer(t)
	e := start(t, func(c *config.Config) { c.AllowImageURLs = "loopback" })
	pdfRead := fmt.Sprintf("(%d bytes, application/pdf)", len(testPDF))
	for _, c := range []struct{ name, path, body, file, read, fileType string }{
		{"messages", "/v1/messages", `{"model":"qwen3-max","max_tokens":100,"messages":[{"role":"user","content":[` +
			`{"type":"document","source":{"type":"url","url":"` + files.URL + `/files/report.pdf"}},{"type":"text","text":"summarise"}]}]}`, "report.pdf", pdfRead, "application/pdf"},
		{"tool result", "/v1/messages", `{"model":"qwen3-max","max_tokens":100,"tools":[{"name":"Read","input_schema":{"type":"object"}}],"messages":[` +
			`{"role":"user","content":"read it"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Read","input":{"file_path":"n"}}]},` +
			`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"document","title":"Q3 figures","source":{"type":"url","url":"` + files.URL + `/files/blob"}}]}]}]}`,
			"Q3 figures.pdf", pdfRead, "application/pdf"},
		{"responses", "/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_text","text":"what does it say?"},` +
			`{"type":"input_file","file_url":"` + files.URL + `/files/notes"}]}]}`, "notes.txt", fmt.Sprintf("(%d bytes, text/plain)", len(urlNotes)), "text/plain"},
		{"responses named", "/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_text","text":"summarise"},` +
			`{"type":"input_file","filename":"r.pdf","file_url":"` + files.URL + `/files/report.pdf"}]}]}`, "r.pdf", pdfRead, "application/pdf"},
	} {
		resp := postJSON(t, e, c.path, c.body, map[string]string{"X-Session-Id": "docurl-" + strings.ReplaceAll(c.name, " ", "-")})
		body := readBody(t, resp)
		if resp.StatusCode != 200 || !strings.Contains(body, "I read 1 document: "+c.file) || !strings.Contains(body, c.read) {
			t.Fatalf("%s: %d %s", c.name, resp.StatusCode, body)
		}
		docs := documentFiles(t, e)
		if len(docs) != 1 || docs[0]["file_class"] != "document" || docs[0]["showType"] != "file" || docs[0]["file_type"] != c.fileType || docs[0]["context"] != "full" {
			t.Fatalf("%s: files %v", c.name, docs)
		}
		if r := e.lastRow(); !strings.Contains(r.OpenAIRequest.String, files.URL+"/files/") || strings.Contains(r.OpenAIRequest.String, "%PDF") || strings.Contains(r.OpenAIRequest.String, "launch code") {
			t.Fatalf("%s: recorded %s", c.name, r.OpenAIRequest.String)
		}
	}
}

// Under the default policy a document by URL is a 400 invalid_document
// that names the setting that allows it, in both APIs that name documents
// by URL; nothing is recorded or sent.
func TestDocumentURLsAreRefusedByDefaultNamingTheSetting(t *testing.T) {
	files := documentServer(t)
	e := start(t, nil)
	for _, c := range []struct{ name, path, body, param string }{
		{"messages", "/v1/messages", `{"model":"qwen3-max","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"` + files.URL + `/files/report.pdf"}}]}]}`, "messages.0.content.0.source.url"},
		{"responses", "/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_file","file_url":"` + files.URL + `/files/report.pdf"}]}]}`, "input[0].content[0].file_url"},
	} {
		wantDocumentError(t, e, c.name, c.path, c.body, c.param, "ALLOW_IMAGE_URLS=true")
	}
	if len(e.rows()) != 0 || e.sim.Uploads() != 0 || len(upstreamCompletions(t, e.sim)) != 0 {
		t.Fatal("a refused document reached Qwen or the record")
	}
}

// A document URL that cannot be taken is a 400 invalid_document naming the
// field and why, as a failed image URL is a 400 invalid_image: unreachable,
// a non-2xx answer, over DOCUMENT_MAX_BYTES, a type Qwen does not read, and
// (under ALLOW_IMAGE_URLS=true) a loopback address.
func TestDocumentURLFailuresAreClear400s(t *testing.T) {
	files := documentServer(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := "http://" + closed.Addr().String() + "/a.pdf"
	closed.Close()
	responses := func(u string) string {
		return `{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_text","text":"read"},{"type":"input_file","file_url":"` + u + `"}]}]}`
	}
	messages := func(u string) string {
		return `{"model":"qwen3-max","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"` + u + `"}}]}]}`
	}
	e := start(t, func(c *config.Config) { c.AllowImageURLs = "loopback"; c.DocumentMaxBytes = 128 })
	for _, c := range []struct{ name, path, body, param, want string }{
		{"unreachable", "/v1/responses", responses(gone), "input[0].content[1].file_url", "cannot be fetched"},
		{"404", "/v1/messages", messages(files.URL + "/files/missing.pdf"), "messages.0.content.0.source.url", "answered 404"},
		{"too big", "/v1/responses", responses(files.URL + "/files/big.pdf"), "input[0].content[1].file_url", "DOCUMENT_MAX_BYTES (128)"},
		{"html", "/v1/messages", messages(files.URL + "/files/page.html"), "messages.0.content.0.source.url", `/files/page.html: type "text/html" is not taken`},
		{"untyped binary", "/v1/responses", responses(files.URL + "/files/a.docx"), "input[0].content[1].file_url", "/files/a.docx: neither a PDF (its bytes do not start %PDF-) nor UTF-8 text"},
	} {
		wantDocumentError(t, e, c.name, c.path, c.body, c.param, c.want)
	}
	public := start(t, func(c *config.Config) { c.AllowImageURLs = "true" })
	wantDocumentError(t, public, "loopback", "/v1/responses", responses(files.URL+"/files/report.pdf"), "input[0].content[1].file_url", "never fetched")
	for _, env := range []*env{e, public} {
		if len(env.rows()) != 0 || env.sim.Uploads() != 0 || len(upstreamCompletions(t, env.sim)) != 0 {
			t.Fatal("a refused document reached Qwen or the record")
		}
	}
}

func wantDocumentError(t *testing.T, e *env, name, path, body, param, want string) {
	t.Helper()
	msg, ok := refusedInput(t, e, name, path, body, "invalid_document", param)
	if ok && (!strings.HasPrefix(msg, param+": ") || !strings.Contains(msg, want)) {
		t.Errorf("%s: %q (want a 400 invalid_document for %s saying %q)", name, msg, param, want)
	}
}

// A Responses conversation with a document by URL, continued by
// previous_response_id after Qwen lost its chat: the record holds the URL,
// so the new chat gets the document again, fetched again — it was told
// "[document: not kept by the proxy]", as the input_file has no file_data.
func TestAResponsesDocumentByURLGoesAgainIntoANewChat(t *testing.T) {
	files := documentServer(t)
	e := start(t, func(c *config.Config) { c.AllowImageURLs = "loopback" })
	id, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_text","text":"My cat is called Vermilion."},`+
		`{"type":"input_file","file_url":"`+files.URL+`/files/report.pdf"}]}]}`)
	parses := func() int {
		n := 0
		for _, call := range e.sim.Calls() {
			if call.Endpoint == qwensim.EndpointParse {
				n++
			}
		}
		return n
	}
	before := parses()
	e.sim.ForgetChats()
	_, text := answeredResponse(t, e, `{"model":"qwen3-max","input":"What is my cat called?","previous_response_id":"`+id+`"}`)
	if !strings.Contains(text, "Vermilion") || strings.Contains(text, "not kept") || parses() != before+1 {
		t.Fatalf("the new chat was not given the document again (%d parses, then %d): %q", before, parses(), text)
	}
	if docs := documentFiles(t, e); len(docs) != 1 || docs[0]["file_type"] != "application/pdf" {
		t.Fatalf("files %v", docs)
	}
}
