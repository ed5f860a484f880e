package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// testPDF is a small PDF (its bytes start %PDF-, as Qwen's parse needs).
var testPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

// documentFiles are the document entries of the last completion Qwen got.
func documentFiles(t *testing.T, e *env) []map[string]any {
	t.Helper()
	var out []map[string]any
	files, _ := lastMessage(t, e)["files"].([]any)
	for _, f := range files {
		if m, _ := f.(map[string]any); m["type"] == "file" {
			out = append(out, m)
		}
	}
	return out
}

// A PDF goes to Qwen as the web client attaches documents — uploaded,
// parsed, named in message.files as a document — in each API's form:
// Chat Completions' file part, Anthropic's base64 document block (in a
// message and in a tool result: Claude Code's Read of a PDF), Responses'
// input_file. The record keeps a reference, not the base64.
func TestPDFDocumentsAreAttachedInEveryAPI(t *testing.T) {
	e := start(t, nil)
	b64 := base64.StdEncoding.EncodeToString(testPDF)
	read := fmt.Sprintf("(%d bytes, application/pdf)", len(testPDF))
	for _, c := range []struct{ name, path, body, file string }{
		{"chat", "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":[{"type":"text","text":"summarise"},` +
			`{"type":"file","file":{"filename":"report.pdf","file_data":"data:application/pdf;base64,` + b64 + `"}}]}]}`, "report.pdf"},
		{"messages", "/v1/messages", `{"model":"qwen3-max","max_tokens":100,"messages":[{"role":"user","content":[` +
			`{"type":"document","title":"Q3 figures","source":{"type":"base64","media_type":"application/pdf","data":"` + b64 + `"}},{"type":"text","text":"summarise"}]}]}`, "Q3 figures.pdf"},
		{"tool result", "/v1/messages", `{"model":"qwen3-max","max_tokens":100,"tools":[{"name":"Read","input_schema":{"type":"object"}}],"messages":[` +
			`{"role":"user","content":"read a.pdf"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Read","input":{"file_path":"a.pdf"}}]},` +
			`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"` + b64 + `"}}]}]}]}`, "document-"},
		{"responses", "/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_text","text":"summarise"},` +
			`{"type":"input_file","filename":"r.pdf","file_data":"data:application/pdf;base64,` + b64 + `"}]}]}`, "r.pdf"},
	} {
		resp := postJSON(t, e, c.path, c.body, map[string]string{"X-Session-Id": "docs-" + strings.ReplaceAll(c.name, " ", "-")})
		body := readBody(t, resp)
		if resp.StatusCode != 200 || !strings.Contains(body, "I read 1 document: "+c.file) || !strings.Contains(body, read) {
			t.Fatalf("%s: %d %s", c.name, resp.StatusCode, body)
		}
		docs := documentFiles(t, e)
		if len(docs) != 1 || docs[0]["file_class"] != "document" || docs[0]["showType"] != "file" || docs[0]["file_type"] != "application/pdf" || docs[0]["context"] != "full" {
			t.Fatalf("%s: files %v", c.name, docs)
		}
		if r := e.lastRow(); strings.Contains(r.OpenAIRequest.String, b64[:40]) || !strings.Contains(r.OpenAIRequest.String, fmt.Sprintf("[document application/pdf, %d bytes, sha256:", len(testPDF))) {
			t.Fatalf("%s: recorded %s", c.name, r.OpenAIRequest.String)
		}
	}
	parses := 0
	for _, call := range e.sim.Calls() {
		if call.Endpoint == qwensim.EndpointParse {
			parses++
		}
	}
	if parses != 4 {
		t.Fatalf("%d parses for 4 documents", parses)
	}
}

// A plain-text file (OpenAI's file part of text/plain) is attached as a
// text/plain document the model reads.
func TestTextFilesAreAttachedAsTextDocuments(t *testing.T) {
	e := start(t, nil)
	text := "the launch code is 0000\n"
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":[{"type":"text","text":"what does it say?"},`+
		`{"type":"file","file":{"filename":"notes","file_data":"data:text/plain;base64,`+base64.StdEncoding.EncodeToString([]byte(text))+`"}}]}]}`, nil)
	if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, fmt.Sprintf("I read 1 document: notes.txt (%d bytes, text/plain)", len(text))) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if docs := documentFiles(t, e); len(docs) != 1 || docs[0]["file_type"] != "text/plain" {
		t.Fatalf("files %v", docs)
	}
}

// What Qwen does not take is a 400 before Qwen is asked: a type it does
// not read, a document over DOCUMENT_MAX_BYTES, a PDF that is none, a
// document by URL under the default policy (the 400 names the setting that
// allows it), a file by file_id.
func TestUnsupportedDocumentsAreClear400s(t *testing.T) {
	e := start(t, func(c *config.Config) { c.DocumentMaxBytes = 64 })
	big := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n" + strings.Repeat("x", 100)))
	part := func(file string) string {
		return `{"model":"qwen3-max","messages":[{"role":"user","content":[{"type":"text","text":"read"},{"type":"file","file":` + file + `}]}]}`
	}
	for _, c := range []struct{ name, path, body, want string }{
		{"docx", "/v1/chat/completions", part(`{"filename":"a.docx","file_data":"data:application/vnd.openxmlformats-officedocument.wordprocessingml.document;base64,UEsDBA=="}`), "is not taken"},
		{"too large", "/v1/chat/completions", part(`{"filename":"big.pdf","file_data":"data:application/pdf;base64,` + big + `"}`), "DOCUMENT_MAX_BYTES"},
		{"not a pdf", "/v1/chat/completions", part(`{"filename":"x.pdf","file_data":"data:application/pdf;base64,aGVsbG8="}`), "not a PDF"},
		{"file_id", "/v1/chat/completions", part(`{"file_id":"file-abc"}`), "file_id"},
		{"url source", "/v1/messages", `{"model":"qwen3-max","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"https://example.com/a.pdf"}}]}]}`, "ALLOW_IMAGE_URLS=true"},
		{"responses file_url", "/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_file","file_url":"https://example.com/a.pdf"}]}]}`, "ALLOW_IMAGE_URLS=true"},
	} {
		resp := postJSON(t, e, c.path, c.body, nil)
		if body := readBody(t, resp); resp.StatusCode != 400 || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s", c.name, resp.StatusCode, body)
		}
	}
	if len(upstreamCompletions(t, e.sim)) != 0 || e.sim.Uploads() != 0 {
		t.Fatal("a refused document reached Qwen")
	}
}

// A document the proxy cannot take by the way it is given — by file_id, by
// a Chat Completions file_data that is a URL, or by URL under the default
// policy — is refused with the code README's "Documents in" names,
// invalid_document, as a type or size Qwen does not take is, so a client
// can tell a document's refusal from a malformed message.
func TestDocumentsByIDOrURLAreRefusedAsInvalidDocument(t *testing.T) {
	e := start(t, nil)
	part := func(file string) string {
		return `{"model":"qwen3-max","messages":[{"role":"user","content":[{"type":"text","text":"read"},{"type":"file","file":` + file + `}]}]}`
	}
	for _, c := range []struct{ name, path, body string }{
		{"file_id", "/v1/chat/completions", part(`{"file_id":"file-abc"}`)},
		{"file_data by URL", "/v1/chat/completions", part(`{"filename":"a.pdf","file_data":"https://example.com/a.pdf"}`)},
		{"responses file_url", "/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_file","file_url":"https://example.com/a.pdf"}]}]}`},
		{"responses file_id", "/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_file","file_id":"file-abc"}]}]}`},
	} {
		resp := postJSON(t, e, c.path, c.body, nil)
		body := readBody(t, resp)
		var got struct {
			Error struct{ Code string } `json:"error"`
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 400 || got.Error.Code != "invalid_document" {
			t.Errorf("%s: %d %s (want 400 invalid_document)", c.name, resp.StatusCode, body)
		}
	}
}

// A document within DOCUMENT_MAX_BYTES is bounded by the body's limit too,
// at 4/3 of its size (base64): by default (both 10 MiB) a PDF of 8 MiB is
// refused with a 413 that spoke of an inline image only, so a user sending
// a document was not told why a file under the documented limit failed.
// The 413 names documents as well.
func TestAnInlineDocumentOverTheBodyLimitSaysSo(t *testing.T) {
	e := start(t, func(c *config.Config) { c.MaxBodyBytes = 4096 })
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 3500)...) // under DOCUMENT_MAX_BYTES, over the body's limit as base64
	body := `{"model":"qwen3-max","messages":[{"role":"user","content":[{"type":"text","text":"read"},{"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,` +
		base64.StdEncoding.EncodeToString(pdf) + `"}}]}]}`
	resp := postJSON(t, e, "/v1/chat/completions", body, nil)
	got := readBody(t, resp)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(got, "MAX_BODY_BYTES") || !strings.Contains(got, "document") || !strings.Contains(got, "4/3") {
		t.Errorf("want a 413 naming MAX_BODY_BYTES and an inline document's size, got %d %s", resp.StatusCode, got)
	}
}
