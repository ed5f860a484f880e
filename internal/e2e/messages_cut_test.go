package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// A Messages stream that breaks while a tool_use block's input streams is
// recorded with the input the client was sent so far, its open string and
// object closed ({"city": "Oslo"}), as the Anthropic SDKs read a message
// cut short; it was recorded as {}, a call made with no arguments.
func TestMessagesStreamCutMidCallRecordsTheInputSoFar(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{CutAfter: 8}) // within the call's input
	resp := postJSON(t, e, "/v1/messages", `{"model":"claude-x","max_tokens":100,"stream":true,`+
		`"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],`+
		`"messages":[{"role":"user","content":"use get_weather with {\"city\": \"Oslo in Norway by the sea\"}"}]}`, nil)
	var sent strings.Builder
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		data, ok := strings.CutPrefix(lines.Text(), "data: ")
		var ev struct {
			Type  string
			Delta struct {
				Type        string
				PartialJSON string `json:"partial_json"`
			}
		}
		if ok && json.Unmarshal([]byte(data), &ev) == nil && ev.Delta.Type == "input_json_delta" {
			sent.WriteString(ev.Delta.PartialJSON)
		}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	r := e.lastRow()
	var rec struct {
		Content []struct {
			Type  string
			Input map[string]string
		}
	}
	if err := json.Unmarshal([]byte(r.OpenAIResponse.String), &rec); err != nil {
		t.Fatalf("recorded answer %q: %v", r.OpenAIResponse.String, err)
	}
	city := ""
	for _, b := range rec.Content {
		if b.Type == "tool_use" {
			city = b.Input["city"]
		}
	}
	if r.ErrorType != "upstream_stream_cut" || city == "" || !strings.HasPrefix(sent.String(), `{"city": "`+city) {
		t.Fatalf("sent input %q, recorded %s", sent.String(), r.OpenAIResponse.String)
	}
}
