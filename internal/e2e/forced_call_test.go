package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// A forced call (tool_choice required or naming a tool; Anthropic's any or
// tool) is the whole answer, in every API, streamed or not: the text the
// model wrote before it ("Let me do that.") is not sent, as OpenAI and
// Anthropic send none then. Not forced, it is.
func TestAForcedCallIsTheWholeAnswer(t *testing.T) {
	e := start(t, nil)
	const ask = `use get_weather with {\"city\": \"Oslo\"}`
	chatTools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`
	messagesTools := `"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]`
	for _, c := range []struct{ name, path, body string }{
		{"chat", "/v1/chat/completions", `{"model":"qwen3-max",` + chatTools + `,"tool_choice":"required","messages":[{"role":"user","content":"` + ask + `"}]}`},
		{"chat streamed", "/v1/chat/completions", `{"model":"qwen3-max","stream":true,` + chatTools + `,"tool_choice":{"type":"function","function":{"name":"get_weather"}},"messages":[{"role":"user","content":"` + ask + `"}]}`},
		{"messages", "/v1/messages", `{"model":"qwen3-max","max_tokens":100,` + messagesTools + `,"tool_choice":{"type":"any"},"messages":[{"role":"user","content":"` + ask + `"}]}`},
		{"messages streamed", "/v1/messages", `{"model":"qwen3-max","max_tokens":100,"stream":true,` + messagesTools + `,"tool_choice":{"type":"tool","name":"get_weather"},"messages":[{"role":"user","content":"` + ask + `"}]}`},
		{"responses", "/v1/responses", `{"model":"qwen3-max","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}],"tool_choice":"required","input":"` + ask + `"}`},
	} {
		body := readBody(t, postJSON(t, e, c.path, c.body, nil))
		if !strings.Contains(body, "get_weather") || strings.Contains(body, "Let me do that") {
			t.Errorf("%s: %s", c.name, body)
		}
		if stored := e.lastRow().OpenAIResponse.String; strings.Contains(stored, "Let me do that") {
			t.Errorf("%s: recorded %s", c.name, stored)
		}
	}
	body := readBody(t, postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max",`+chatTools+`,"messages":[{"role":"user","content":"`+ask+`"}]}`, nil))
	var got struct {
		Choices []struct{ Message struct{ Content string } }
	}
	if json.Unmarshal([]byte(body), &got) != nil || len(got.Choices) != 1 || !strings.Contains(got.Choices[0].Message.Content, "Let me do that") {
		t.Errorf("not forced: %s", body)
	}
}
