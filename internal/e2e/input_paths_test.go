package e2e

import (
	"encoding/json"
	"strings"
	"testing"
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
		resp := postJSON(t, e, c.path, c.body, nil)
		body := readBody(t, resp)
		var got struct {
			Error struct{ Type, Code, Param, Message string } `json:"error"`
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 400 || got.Error.Type != "invalid_request_error" {
			t.Errorf("%s: %d %s (want a 400)", c.name, resp.StatusCode, body)
			continue
		}
		if c.path != "/v1/messages" && (got.Error.Param != c.param || got.Error.Code != c.code) {
			t.Errorf("%s: param %q code %q, want %q %q", c.name, got.Error.Param, got.Error.Code, c.param, c.code)
		}
		if want := c.param + ": " + c.why; !strings.HasPrefix(got.Error.Message, want) {
			t.Errorf("%s: message %q, want it to begin %q", c.name, got.Error.Message, want)
		}
		if strings.Contains(got.Error.Message, ";base64,") {
			t.Errorf("%s: message %q quotes a data: URL", c.name, got.Error.Message)
		}
	}
	if len(e.rows()) != 0 || e.sim.Uploads() != 0 || len(upstreamCompletions(t, e.sim)) != 0 {
		t.Fatal("a refused image or document reached Qwen or the record")
	}
}
