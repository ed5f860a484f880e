package e2e

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"qwenproxy/internal/config"
)

// keyedChat sends a chat call with an API key and, when set, X-Session-Id;
// it returns the answer's text and the session it went to.
func keyedChat(t *testing.T, e *env, key, sessionID string, msgs ...string) (answer, session string) {
	t.Helper()
	var list []map[string]string
	for i, m := range msgs {
		role := "user"
		if i%2 == 1 {
			role = "assistant"
		}
		list = append(list, map[string]string{"role": role, "content": m})
	}
	body, _ := json.Marshal(map[string]any{"model": "qwen3-max", "messages": list})
	header := map[string]string{"Authorization": "Bearer " + key}
	if sessionID != "" {
		header["X-Session-Id"] = sessionID
	}
	resp := postJSON(t, e, "/v1/chat/completions", string(body), header)
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Choices []struct{ Message struct{ Content string } }
	}
	if resp.StatusCode != 200 || json.Unmarshal(raw, &out) != nil || len(out.Choices) != 1 {
		t.Fatalf("chat: %d %s", resp.StatusCode, raw)
	}
	return out.Choices[0].Message.Content, resp.Header.Get("X-Session-Id")
}

// Issue 13, item 5: sessions belong to the key that opened them. Another
// key — admin keys too — naming the session or resending its history gets
// a session of its own and never sees the owner's conversation.
func TestSessionsBelongToTheKeyThatOpenedThem(t *testing.T) {
	const alice, bob, admin = "alice-key-123", "bob-key-456", "admin-key-789"
	e := start(t, func(c *config.Config) { c.APIKeys, c.AdminAPIKeys = []string{alice, bob}, []string{admin} })

	_, sess := keyedChat(t, e, alice, "alice-session", "my locker code is 4711")
	if sess != "alice-session" {
		t.Fatalf("alice's session: %q", sess)
	}
	for _, other := range []string{bob, admin} {
		answer, got := keyedChat(t, e, other, "alice-session", "what did I say before?")
		if got == "alice-session" || strings.Contains(answer, "4711") {
			t.Fatalf("%s continued alice's session: %q in %q", other, answer, got)
		}
	}
	// She still continues it by name.
	if answer, got := keyedChat(t, e, alice, "alice-session", "what did I say before?"); got != "alice-session" || !strings.Contains(answer, "4711") {
		t.Fatalf("alice by name: %q in %q", answer, got)
	}
	// A conversation found by its history: hers continues, the same history
	// under another key opens a session of its own.
	answer, opened := keyedChat(t, e, alice, "", "my bike code is 1234")
	if _, got := keyedChat(t, e, bob, "", "my bike code is 1234", answer, "and again?"); got == opened {
		t.Fatal("bob's resent history continued alice's session")
	}
	if _, got := keyedChat(t, e, alice, "", "my bike code is 1234", answer, "and again?"); got != opened {
		t.Fatalf("alice's resent history went to %q, not her session %q", got, opened)
	}
}

// Issue 13, item 13: a session deleted behind the server's back (as
// `qwenproxy sessions rm` does from another process) is never brought back
// by the server's memory: the next turn naming it starts afresh, and a state
// of the old one written late is not stored.
func TestDeletedSessionIsNeverResurrected(t *testing.T) {
	const key = "owner-key-123"
	e := start(t, func(c *config.Config) { c.APIKeys = []string{key} })
	keyedChat(t, e, key, "doomed", "my locker code is 4711")
	found, opened := keyedChat(t, e, key, "", "my bike code is 1234") // one found by its history
	e.sync()
	old, err := e.app.Store().Session(ctxT(t), "doomed")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"doomed", opened} {
		if err := e.app.Store().DeleteSession(ctxT(t), id); err != nil {
			t.Fatal(err)
		}
	}
	// Its history resent opens a new session (the history replayed), not the
	// deleted one, and no error.
	if _, got := keyedChat(t, e, key, "", "my bike code is 1234", found, "and again?"); got == opened {
		t.Fatalf("the deleted conversation %s continued by its history", opened)
	}
	// A turn of the old state in flight writes it back late.
	e.app.Recorder().SaveSession(*old)
	e.sync()
	if _, err := e.app.Store().Session(ctxT(t), "doomed"); err == nil {
		t.Fatal("a late write brought the deleted session back")
	}
	answer, got := keyedChat(t, e, key, "doomed", "what did I say before?")
	if got != "doomed" || strings.Contains(answer, "4711") {
		t.Fatalf("the deleted conversation continued: %q in %q", answer, got)
	}
	e.sync()
	now, err := e.app.Store().Session(ctxT(t), "doomed")
	if err != nil || now.ChatID == old.ChatID || now.MessageCount != 1 {
		t.Fatalf("after the delete: %+v %v (deleted chat %s)", now, err, old.ChatID)
	}
}
