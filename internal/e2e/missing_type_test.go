package e2e

import (
	"strings"
	"testing"
)

// A type that is missing or null, in any of the three APIs, is a 400 saying
// it is required, not a complaint about a type named "" (the decoded value
// of both), and it changes nothing.
func TestAMissingOrNullTypeIsNamedAsMissing(t *testing.T) {
	e := start(t, nil)
	const msgs = `"model":"qwen3-max","max_tokens":10,"messages":`
	for _, c := range []struct{ name, path, body, param, want string }{
		{"chat part", "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":[{"type":null,"text":"hi"}]}]}`,
			"messages[0].content[0].type", "is missing its type"},
		{"response_format", "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}],"response_format":{}}`,
			"response_format.type", "response_format.type is required"},
		{"text.format", "/v1/responses", `{"model":"qwen3-max","input":"hi","text":{"format":{"type":null}}}`,
			"text.format.type", "text.format.type is required"},
		{"input part", "/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":[{"text":"hi"}]}]}`,
			"input[0].content[0].type", "input[0].content[0].type is required"},
		{"system block", "/v1/messages", `{` + msgs + `[{"role":"user","content":"hi"}],"system":[{"type":null,"text":"x"}]}`,
			"", "system.0.type: Field required"},
		{"tool_result block", "/v1/messages", `{` + msgs + `[{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":[{"text":"x"}]}]}]}`,
			"", "messages.0.content.0.content.0.type: Field required"},
		{"document source", "/v1/messages", `{` + msgs + `[{"role":"user","content":[{"type":"document","source":{"type":null,"data":"aGk="}}]}]}`,
			"", "messages.0.content.0.source.type: Field required"},
		{"image media_type", "/v1/messages", `{` + msgs + `[{"role":"user","content":[{"type":"image","source":{"type":"base64","data":"aGk="}}]}]}`,
			"", "messages.0.content.0.source.media_type: Field required"},
		{"document media_type", "/v1/messages", `{` + msgs + `[{"role":"user","content":[{"type":"document","source":{"type":"base64","data":"aGk="}}]}]}`,
			"", "messages.0.content.0.source.media_type: Field required"},
	} {
		msg, ok := refusedInput(t, e, c.name, c.path, c.body, "missing_required_parameter", c.param)
		if ok && (!strings.Contains(msg, c.want) || strings.Contains(msg, `""`)) {
			t.Errorf("%s: %q, want %q", c.name, msg, c.want)
		}
	}
	if len(e.rows()) != 0 || e.sim.Chats() != 0 {
		t.Fatalf("refused calls left %d records, %d chats", len(e.rows()), e.sim.Chats())
	}
}
