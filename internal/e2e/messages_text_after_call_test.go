package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// The Messages API orders its content blocks as the Responses API orders its
// items (responses_text_after_call_test.go): text the model wrote
// after a call is a text block after the tool_use, in a message sent whole
// (and in one held back to check a strict call) as in the stream — whose
// record, the message its events add up to, put it before the call.
func TestMessagesListTextAfterACallWhereItCame(t *testing.T) {
	e := start(t, nil)
	e.stop()
	e.cfg.QwenBaseURL = answeringUpstream(t, e.sim.URL, "I will look.\n",
		"<tool_call>\n{\"name\": \"shell\", \"arguments\": {\"command\": \"ls\"}}\n</tool_call>", "\nThen I will report.")
	e.boot()
	type block struct{ Type, Text, Name string }
	const body = `{"model":"qwen3-max","max_tokens":100,"messages":[{"role":"user","content":"list the files"}],"tools":[{"name":"shell","input_schema":{"type":"object","properties":{"command":{"type":"string"}},"required":["command"],"additionalProperties":false}%s}]%s}`
	trimmed := []block{{"text", "I will look.", ""}, {"tool_use", "", "shell"}, {"text", "\n\nThen I will report.", ""}}
	for _, c := range []struct{ name, strict, stream string }{
		{"whole", "", ""},
		{"streamed", "", `,"stream":true`},
		{"held for its strict call", `,"strict":true`, `,"stream":true`},
	} {
		resp := postJSON(t, e, "/v1/messages", fmt.Sprintf(body, c.strict, c.stream), nil)
		requestID := resp.Header.Get("X-Request-Id")
		var got []block
		if c.stream == "" {
			var msg struct{ Content []block }
			if err := json.NewDecoder(resp.Body).Decode(&msg); err != nil {
				t.Fatal(err)
			}
			got = msg.Content
		} else {
			for _, d := range sseData(t, resp) {
				var ev struct {
					Type         string
					ContentBlock block `json:"content_block"`
					Delta        struct{ Text string }
				}
				_ = json.Unmarshal([]byte(d), &ev)
				switch ev.Type {
				case "content_block_start":
					got = append(got, ev.ContentBlock)
				case "content_block_delta":
					got[len(got)-1].Text += ev.Delta.Text
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(trimmed) {
			t.Errorf("%s: content %q, want %q", c.name, got, trimmed)
		}
		status, call := getJSON(t, e, http.MethodGet, "/v1/requests/"+requestID)
		response, _ := call["response"].(map[string]any)
		if status != http.StatusOK || response == nil {
			t.Fatalf("%s: GET /v1/requests/%s: %d %v", c.name, requestID, status, call)
		}
		raw, _ := json.Marshal(response["openai_response"])
		var record struct{ Content []block }
		if err := json.Unmarshal(raw, &record); status != http.StatusOK || err != nil || fmt.Sprint(record.Content) != fmt.Sprint(trimmed) {
			t.Errorf("%s: recorded %d %s", c.name, status, raw)
		}
	}
}
