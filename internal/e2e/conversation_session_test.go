package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/config"
)

// TestConversationChatTakesOnlyItsResponses: a conversation's Qwen chat
// goes on only with responses answered in the conversation. A call naming
// its session (X-Session-Id, on each client API) is refused, and one that
// resends the conversation's history as its own (a chat completion with
// the first turn and its answer) opens a chat of its own: either would
// otherwise tell the conversation's chat a turn its listing has not, which
// its next response would see. Another key's X-Session-Id naming it gets a
// session of its own, not a refusal that would reveal the conversation.
func TestConversationChatTakesOnlyItsResponses(t *testing.T) {
	const alice, bob = "alice-key-1", "bob-key-2"
	e := start(t, func(c *config.Config) { c.APIKeys = []string{alice, bob} })
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", alice, "", &conv); status != 200 {
		t.Fatalf("create: %d %s", status, b)
	}
	var first struct {
		Output []struct{ Content []struct{ Text string } }
	}
	status, b := convCall(t, e, "POST", "/v1/responses", alice, `{"model":"qwen3-max","input":"Say hi","conversation":"`+conv.ID+`"}`, &first)
	if status != 200 || len(first.Output) == 0 || len(first.Output[0].Content) == 0 {
		t.Fatalf("first response: %d %s", status, b)
	}
	answer, _ := json.Marshal(first.Output[0].Content[0].Text)
	named := []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"named chat"}]}`},
		{"/v1/completions", `{"model":"qwen3-max","prompt":"named completion"}`},
		{"/v1/messages", `{"model":"qwen3-max","max_tokens":50,"messages":[{"role":"user","content":"named message"}]}`},
		{"/v1/responses", `{"model":"qwen3-max","input":"named response"}`},
	}
	for _, c := range named {
		resp := send(t, e, "POST", c.path, "application/json", c.body, map[string]string{"Authorization": "Bearer " + alice, "X-Session-Id": conv.ID})
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "session_conflict") && !strings.Contains(string(b), "invalid_request_error") {
			t.Errorf("%s under the conversation's X-Session-Id: %d %s, want a 400", c.path, resp.StatusCode, b)
		}
	}
	resp := send(t, e, "POST", "/v1/responses", "application/json", `{"model":"qwen3-max","input":"bob's own"}`, map[string]string{"Authorization": "Bearer " + bob, "X-Session-Id": conv.ID})
	if resp.Body.Close(); resp.StatusCode != 200 || resp.Header.Get("X-Session-Id") == conv.ID {
		t.Errorf("another key naming the conversation's session: %d, session %q", resp.StatusCode, resp.Header.Get("X-Session-Id"))
	}
	resent := `{"model":"qwen3-max","messages":[{"role":"user","content":"Say hi"},{"role":"assistant","content":` + string(answer) + `},{"role":"user","content":"resent chat"}]}`
	resp = send(t, e, "POST", "/v1/chat/completions", "application/json", resent, map[string]string{"Authorization": "Bearer " + alice})
	if resp.Body.Close(); resp.StatusCode != 200 || resp.Header.Get("X-Session-Id") == conv.ID {
		t.Errorf("a resent history of the conversation: %d, session %q", resp.StatusCode, resp.Header.Get("X-Session-Id"))
	}
	var next struct {
		Output []struct{ Content []struct{ Text string } }
	}
	status, b = convCall(t, e, "POST", "/v1/responses", alice, `{"model":"qwen3-max","input":"next","conversation":"`+conv.ID+`"}`, &next)
	if status != 200 || len(next.Output) == 0 || len(next.Output[0].Content) == 0 {
		t.Fatalf("next response: %d %s", status, b)
	}
	// The simulator's answer repeats what its chat was told.
	if text := next.Output[0].Content[0].Text; strings.Contains(text, "named") || strings.Contains(text, "resent") || !strings.Contains(text, "Earlier answers of mine: 1.") {
		t.Errorf("the conversation's chat was told a turn it did not answer: %q", text)
	}
}
