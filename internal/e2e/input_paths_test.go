package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// An image or document that cannot be taken is a 400 naming the part that
// gave it, in each client API's notation, as every other 400 about a value
// does: it named only the request's field of messages ("messages",
// "input"), whichever message and part it was, and told an Anthropic
// client of a data: URL it never sent (built from its base64 source).
func TestImageAndDocumentErrorsNameTheirPart(t *testing.T) {
	e := start(t, nil)
	const badImage = "data:image/png;base64,!!!notbase64"
	const badPDF = "data:application/pdf;base64,!!!"
	earlier := `{"role":"user","content":"first"},{"role":"assistant","content":"ok"},`
	for _, c := range []struct {
		name, path, body string
		param, code      string // Anthropic's: its message starts with param
		why              string
	}{
		{"chat image", "/v1/chat/completions",
			`{"model":"qwen3-vl-plus","messages":[` + earlier + `{"role":"user","content":[{"type":"text","text":"see"},{"type":"image_url","image_url":{"url":"` + badImage + `"}}]}]}`,
			"messages[2].content[1].image_url.url", "invalid_image", "the image's base64 is malformed"},
		{"chat document", "/v1/chat/completions",
			`{"model":"qwen3-max","messages":[` + earlier + `{"role":"user","content":[{"type":"text","text":"read"},{"type":"file","file":{"filename":"a.pdf","file_data":"` + badPDF + `"}}]}]}`,
			"messages[2].content[1].file.file_data", "invalid_document", "the document's base64 is malformed"},
		{"chat image not an image", "/v1/chat/completions",
			`{"model":"qwen3-vl-plus","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,aGVsbG8="}}]}]}`,
			"messages[0].content[0].image_url.url", "invalid_image", "not an image (text/plain"},
		{"responses image", "/v1/responses",
			`{"model":"qwen3-vl-plus","input":[` + earlier + `{"role":"user","content":[{"type":"input_text","text":"see"},{"type":"input_image","image_url":"` + badImage + `"}]}]}`,
			"input[2].content[1].image_url", "invalid_image", "the image's base64 is malformed"},
		{"responses document", "/v1/responses",
			`{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_file","filename":"a.pdf","file_data":"` + badPDF + `"}]}]}`,
			"input[0].content[0].file_data", "invalid_document", "the document's base64 is malformed"},
		{"responses call output image", "/v1/responses",
			`{"model":"qwen3-vl-plus","input":[{"type":"function_call","call_id":"call_1","name":"look","arguments":"{}"},{"type":"function_call_output","call_id":"call_1","output":[{"type":"input_image","image_url":"` + badImage + `"}]}]}`,
			"input[1].output[0].image_url", "invalid_image", "the image's base64 is malformed"},
		{"messages image", "/v1/messages",
			`{"model":"qwen3-vl-plus","max_tokens":10,"messages":[` + earlier + `{"role":"user","content":[{"type":"text","text":"see"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"!!!notbase64"}}]}]}`,
			"messages.2.content.1.source.data", "invalid_image", "the image's base64 is malformed"},
		{"messages document", "/v1/messages",
			`{"model":"qwen3-max","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"!!!"}}]}]}`,
			"messages.0.content.0.source.data", "invalid_document", "the document's base64 is malformed"},
		{"messages tool result image", "/v1/messages",
			`{"model":"qwen3-vl-plus","max_tokens":10,"messages":[{"role":"user","content":"look"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"look","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"!!!notbase64"}}]}]}]}`,
			"messages.2.content.0.content.0.source.data", "invalid_image", "the image's base64 is malformed"},
	} {
		msg, ok := refusedInput(t, e, c.name, c.path, c.body, c.code, c.param)
		if !ok {
			continue
		}
		if want := c.param + ": " + c.why; !strings.HasPrefix(msg, want) {
			t.Errorf("%s: message %q, want it to begin %q", c.name, msg, want)
		}
		if strings.Contains(msg, ";base64,") {
			t.Errorf("%s: message %q quotes a data: URL", c.name, msg)
		}
	}
	if len(e.rows()) != 0 || e.sim.Uploads() != 0 || len(upstreamCompletions(t, e.sim)) != 0 {
		t.Fatal("a refused image or document reached Qwen or the record")
	}
}

// The images and documents of the history before the turn are checked as
// the turn's are, before anything is recorded or sent: they go up only
// when the history is replayed into a new chat, after the chat is opened,
// and one that could not be read was a failed call, recorded, leaving a
// session and a Qwen chat with nothing in them. Their bounds name the
// request's own field of messages (the Responses API's input, not
// "messages").
func TestTheHistorysImagesAndDocumentsAreCheckedBeforeAnything(t *testing.T) {
	e := start(t, func(c *config.Config) { c.ImageMaxCount = 2 })
	text := base64.StdEncoding.EncodeToString([]byte("hello world, just text here"))
	png := "data:image/png;base64," + base64.StdEncoding.EncodeToString(testPNG(t))
	chatImage := func(u string) string { return `{"type":"image_url","image_url":{"url":"` + u + `"}}` }
	inputImage := func(u string) string { return `{"type":"input_image","image_url":"` + u + `"}` }
	for _, c := range []struct {
		name, path, body string
		param, code      string // Anthropic's: its message starts with param
	}{
		{"chat image", "/v1/chat/completions",
			`{"model":"qwen3-vl-plus","messages":[{"role":"user","content":[{"type":"text","text":"first"},` + chatImage("data:image/png;base64,"+text) + `]},{"role":"assistant","content":"ok"},{"role":"user","content":"now"}]}`,
			"messages[0].content[1].image_url.url", "invalid_image"},
		{"chat image URL not fetched", "/v1/chat/completions",
			`{"model":"qwen3-vl-plus","messages":[{"role":"user","content":[{"type":"text","text":"first"},` + chatImage("https://example.com/cat.png") + `]},{"role":"assistant","content":"ok"},{"role":"user","content":"now"}]}`,
			"messages[0].content[1].image_url.url", "invalid_image"},
		{"chat document", "/v1/chat/completions",
			`{"model":"qwen3-max","stream":true,"messages":[{"role":"user","content":[{"type":"text","text":"first"},{"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,` + text + `"}}]},{"role":"assistant","content":"ok"},{"role":"user","content":"now"}]}`,
			"messages[0].content[1].file.file_data", "invalid_document"},
		{"responses image", "/v1/responses",
			`{"model":"qwen3-vl-plus","input":[{"role":"user","content":[` + inputImage("data:image/png;base64,!!!") + `]},{"role":"assistant","content":"ok"},{"role":"user","content":"now"}]}`,
			"input[0].content[0].image_url", "invalid_image"},
		{"responses images over IMAGE_MAX_COUNT", "/v1/responses",
			`{"model":"qwen3-vl-plus","input":[{"role":"user","content":[` + inputImage(png) + `,` + inputImage(png) + `,` + inputImage(png) + `]},{"role":"assistant","content":"ok"},{"role":"user","content":"now"}]}`,
			"input", "invalid_image"},
		{"messages image", "/v1/messages",
			`{"model":"qwen3-vl-plus","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"first"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"` + text + `"}}]},{"role":"assistant","content":"ok"},{"role":"user","content":"now"}]}`,
			"messages.0.content.1.source.data", "invalid_image"},
	} {
		msg, ok := refusedInput(t, e, c.name, c.path, c.body, c.code, c.param)
		if ok && c.path == "/v1/messages" && !strings.HasPrefix(msg, c.param+": ") {
			t.Errorf("%s: message %q, want it to begin %q", c.name, msg, c.param)
		}
	}
	if len(e.rows()) != 0 || e.sim.Chats() != 0 || e.sim.Uploads() != 0 {
		t.Fatalf("refused calls left %d records, %d chats, %d uploads", len(e.rows()), e.sim.Chats(), e.sim.Uploads())
	}
}

// A history replayed into a new chat takes along only what the model
// takes: a model without vision is not sent the history's images, and a
// model that makes images not its documents; the replayed text says they
// are not attached. Both went up — images into a text model's chat, a PDF
// into an image generation's — and the text said they were attached.
func TestAReplayTakesAlongOnlyWhatTheModelTakes(t *testing.T) {
	e := start(t, nil)
	png := "data:image/png;base64," + base64.StdEncoding.EncodeToString(testPNG(t))
	pdf := "data:application/pdf;base64," + base64.StdEncoding.EncodeToString(testPDF)
	for _, c := range []struct{ name, model, part, note string }{
		{"images to a model without vision", qwensim.TextOnlyModel, `{"type":"image_url","image_url":{"url":"` + png + `"}}`,
			"first\n[an image, not attached: " + qwensim.TextOnlyModel + " takes no images]"},
		{"documents to an image model", "qwen3-max-image", `{"type":"file","file":{"filename":"a.pdf","file_data":"` + pdf + `"}}`,
			"first\n[a document, not attached: qwen3-max-image reads no documents]"},
	} {
		resp := postJSON(t, e, "/v1/chat/completions", `{"model":"`+c.model+`","messages":[{"role":"user","content":[{"type":"text","text":"first"},`+c.part+`]},{"role":"assistant","content":"ok"},{"role":"user","content":"now"}]}`, nil)
		if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", c.name, resp.StatusCode, body)
		}
		msg := lastMessage(t, e)
		if files, _ := msg["files"].([]any); e.sim.Uploads() != 0 || len(files) != 0 {
			t.Errorf("%s: %d uploads, files %v", c.name, e.sim.Uploads(), files)
		}
		if content, _ := msg["content"].(string); !strings.Contains(content, c.note) || strings.Contains(content, "attached]") {
			t.Errorf("%s: told %q, want the history to say %q", c.name, content, c.note)
		}
	}
}

// refusedInput posts body to path and holds the answer to a 400
// invalid_request_error with code and param (Anthropic's errors have a
// type and a message only: its message names the field), returning the
// message, and whether the answer was such a 400 at all.
func refusedInput(t *testing.T, e *env, name, path, body, code, param string) (message string, ok bool) {
	t.Helper()
	resp := postJSON(t, e, path, body, nil)
	got := readBody(t, resp)
	var parsed struct {
		Error struct{ Type, Code, Param, Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(got), &parsed); err != nil || resp.StatusCode != 400 || parsed.Error.Type != "invalid_request_error" {
		t.Errorf("%s: %d %s (want a 400)", name, resp.StatusCode, got)
		return "", false
	}
	if path != "/v1/messages" && (parsed.Error.Param != param || parsed.Error.Code != code) {
		t.Errorf("%s: param %q code %q, want %q %q (%s)", name, parsed.Error.Param, parsed.Error.Code, param, code, parsed.Error.Message)
	}
	return parsed.Error.Message, true
}
