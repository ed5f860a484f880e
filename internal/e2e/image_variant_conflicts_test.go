package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// An image variant answers with a picture (Qwen's t2i or image_edit chat),
// never with JSON or a call of the client's functions: a response format or
// a forced tool call beside one is refused up front, on every client API,
// naming the field. It was taken, the image generated, the answer failed
// its check, a corrective turn generated a second image, and the client got
// a 502 (response_format_unmet, tool_choice_unmet) after two generations.
func TestImageVariantRefusesJSONAndForcedCalls(t *testing.T) {
	e := start(t, nil)
	const fn = `{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}`
	const png = `data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==`
	for _, c := range []struct{ path, body, param string }{
		{"/v1/chat/completions", `{"model":"qwen3-max-image","response_format":{"type":"json_object"},"messages":[{"role":"user","content":"a fox, in JSON"}]}`, "response_format"},
		{"/v1/chat/completions", `{"model":"qwen3-max-image","stream":true,"tools":[` + fn + `],"tool_choice":"required","messages":[{"role":"user","content":"a fox"}]}`, "tool_choice"},
		{"/v1/chat/completions", `{"model":"qwen3-max-image-edit","tools":[` + fn + `],"tool_choice":{"type":"function","function":{"name":"get_weather"}},"messages":[{"role":"user","content":[{"type":"text","text":"blue"},{"type":"image_url","image_url":{"url":"` + png + `"}}]}]}`, "tool_choice"},
		{"/v1/chat/completions", `{"model":"qwen3-max-image","functions":[{"name":"get_weather","parameters":{"type":"object"}}],"function_call":{"name":"get_weather"},"messages":[{"role":"user","content":"a fox"}]}`, `"param":"function_call"`},
		{"/v1/responses", `{"model":"qwen3-max-image","text":{"format":{"type":"json_schema","name":"fox","schema":{"type":"object"}}},"input":"a fox"}`, "text.format"},
		{"/v1/responses", `{"model":"qwen3-max-image","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}],"tool_choice":"required","input":"a fox"}`, "tool_choice"},
		{"/v1/messages", `{"model":"qwen3-max-image","max_tokens":16,"output_config":{"format":{"type":"json_schema","schema":{"type":"object"}}},"messages":[{"role":"user","content":"a fox"}]}`, "output_config.format"},
		{"/v1/messages", `{"model":"qwen3-max-image","max_tokens":16,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"},"messages":[{"role":"user","content":"a fox"}]}`, "tool_choice"},
	} {
		resp := postJSON(t, e, c.path, c.body, nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "answers with an image") || !strings.Contains(string(b), c.param) {
			t.Errorf("%s %s:\n%d %s", c.path, c.body, resp.StatusCode, b)
		}
	}
	if n := len(e.rows()); n != 0 {
		t.Fatalf("%d refused calls recorded (an image generated for each)", n)
	}
}

// Tools the image variant's turn does not have to call, and plain text, stay
// taken: the answer is the image.
func TestImageVariantTakesToolsItNeedNotCall(t *testing.T) {
	e := start(t, nil)
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max-image","response_format":{"type":"text"},"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],"messages":[{"role":"user","content":"a fox"}]}`, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "![image](") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
}
