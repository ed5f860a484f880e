package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// Anthropic's adaptive thinking ({"type":"adaptive"}, as Claude Code sends
// it on every turn) leaves to the model how much to think: Qwen's Auto
// (auto_thinking, thinking_mode "Auto", what its web client sends by
// default). It went to Qwen as thinking "always on" (thinking_mode
// "Thinking"), so every turn of Claude Code thought at length. Enabled
// thinking, and the -thinking variant, still ask for it whole.
func TestAdaptiveThinkingIsQwensAuto(t *testing.T) {
	e := start(t, nil)
	for thinking, want := range map[string]string{
		`{"type":"adaptive"}`:                     `"thinking_enabled":true,"output_schema":"phase","research_mode":"normal","auto_thinking":true,"thinking_mode":"Auto"`,
		`{"type":"enabled","budget_tokens":1024}`: `"thinking_enabled":true,"output_schema":"phase","research_mode":"normal","auto_thinking":false,"thinking_mode":"Thinking"`,
		`{"type":"disabled"}`:                     `"thinking_enabled":false,"output_schema":"phase","research_mode":"normal","auto_thinking":false,"thinking_mode":"Fast"`,
	} {
		resp := postJSON(t, e, "/v1/messages", `{"model":"qwen3-max","max_tokens":2048,"thinking":`+thinking+`,"messages":[{"role":"user","content":"hi"}]}`, nil)
		if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", thinking, resp.StatusCode, body)
		}
		if sent := e.lastRow().QwenRequest.String; !strings.Contains(sent, want) {
			t.Errorf("thinking %s: sent to Qwen %s, want %s", thinking, sent, want)
		}
	}
	resp := postJSON(t, e, "/v1/messages", `{"model":"qwen3-vl-plus-thinking","max_tokens":100,"thinking":{"type":"adaptive"},"messages":[{"role":"user","content":"hi"}]}`, nil)
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("-thinking: %d %s", resp.StatusCode, body)
	}
	if sent := e.lastRow().QwenRequest.String; !strings.Contains(sent, `"thinking_mode":"Thinking"`) {
		t.Errorf("the -thinking variant with adaptive thinking: sent to Qwen %s, want thinking whole", sent)
	}
}
