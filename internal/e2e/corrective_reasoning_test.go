package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// A corrective turn's reasoning follows the broken answer's after a blank
// line, in every API, streamed or not: the client has both (streamed as
// they came, or in one field), and they were glued into one sentence
// ("…request: helloConsidering the request: Your previous answer…").
func TestACorrectiveTurnsReasoningIsSetOff(t *testing.T) {
	e := start(t, nil)
	const want = "Considering the request: hello\n\nConsidering the request: Your previous answer"
	chat := `{"model":"qwen3-max","reasoning_effort":"high","tool_choice":"required","tools":[{"type":"function","function":{"name":"t","parameters":{"type":"object"}}}],` +
		`"messages":[{"role":"user","content":"hello"}]}`
	var got struct {
		Choices []struct {
			Message struct {
				ReasoningContent string `json:"reasoning_content"`
			}
		}
	}
	body := readBody(t, postJSON(t, e, "/v1/chat/completions", chat, nil))
	if err := json.Unmarshal([]byte(body), &got); err != nil || len(got.Choices) != 1 || !strings.Contains(got.Choices[0].Message.ReasoningContent, want) {
		t.Errorf("chat: %v %s", err, body)
	}
	messages := `{"model":"qwen3-max","max_tokens":2048,"stream":true,"thinking":{"type":"enabled","budget_tokens":1024},"tool_choice":{"type":"any"},` +
		`"tools":[{"name":"t","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hello"}]}`
	var thinking strings.Builder
	for _, line := range strings.Split(readBody(t, postJSON(t, e, "/v1/messages", messages, nil)), "\n") {
		var ev struct {
			Delta struct{ Type, Thinking string }
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok && json.Unmarshal([]byte(data), &ev) == nil && ev.Delta.Type == "thinking_delta" {
			thinking.WriteString(ev.Delta.Thinking)
		}
	}
	if !strings.Contains(thinking.String(), want) {
		t.Errorf("messages streamed: %q", thinking.String())
	}
	if stored := e.lastRow().OpenAIResponse.String; !strings.Contains(stored, strings.ReplaceAll(want, "\n", `\n`)) {
		t.Errorf("messages recorded: %s", stored)
	}
}
