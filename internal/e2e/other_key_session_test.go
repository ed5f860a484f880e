package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/config"
	"qwenproxy/internal/store/storetest"
)

// keyedTurn is one chat completion of key under X-Session-Id name: the
// session it went on in and the simulator's answer (which repeats what its
// chat was told before).
func keyedTurn(t *testing.T, e *env, key, name, text string) (session, answer string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"model": "qwen3-max", "messages": []map[string]string{{"role": "user", "content": text}}})
	resp, b := chatCall(t, e, string(body), map[string]string{"Authorization": "Bearer " + key, "X-Session-Id": name})
	var out struct {
		Choices []struct{ Message struct{ Content string } }
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(b), &out) != nil || len(out.Choices) == 0 {
		t.Fatalf("%q under %s: %d %s", text, name, resp.StatusCode, b)
	}
	return resp.Header.Get("X-Session-Id"), out.Choices[0].Message.Content
}

// A key naming another key's session (X-Session-Id) goes on, turn after
// turn, in one session of its own: the same id every turn and after a
// restart, its chat told its earlier turns; the owner's session stays the
// owner's and sees none of them. Until 2026-12-07 every such turn had a new
// session and a new Qwen chat, the conversation lost.
func TestAnotherKeyNamingASessionKeepsItsConversation(t *testing.T) {
	storetest.EachBackend(t, testAnotherKeyNamingASessionKeepsItsConversation)
}

func testAnotherKeyNamingASessionKeepsItsConversation(t *testing.T, backend string) {
	const alice, bob = "key-alice-123456", "key-bob-654321"
	e := startOn(t, backend, func(c *config.Config) { c.APIKeys = []string{alice, bob} })
	if s, _ := keyedTurn(t, e, alice, "main", "alice 1"); s != "main" {
		t.Fatalf("alice's first turn: session %q", s)
	}
	bobs, _ := keyedTurn(t, e, bob, "main", "bob 1")
	if bobs == "main" || bobs == "" {
		t.Fatalf("bob's first turn: session %q, want one of his own", bobs)
	}
	for _, turn := range []struct{ text, earlier string }{{"bob 2", `"bob 1"`}, {"bob 3", `"bob 2"`}} {
		s, answer := keyedTurn(t, e, bob, "main", turn.text)
		if s != bobs || !strings.Contains(answer, "Earlier you said") || !strings.Contains(answer, turn.earlier) {
			t.Errorf("%s: session %q, answer %q; want %s, its chat told %s", turn.text, s, answer, bobs, turn.earlier)
		}
	}
	s, answer := keyedTurn(t, e, alice, "main", "alice 2")
	if s != "main" || !strings.Contains(answer, `Earlier you said: "alice 1"`) || strings.Contains(answer, "bob") {
		t.Errorf("alice's second turn: session %q, answer %q", s, answer)
	}
	e.restart()
	if s, answer := keyedTurn(t, e, bob, "main", "bob 4"); s != bobs || !strings.Contains(answer, `"bob 3"`) {
		t.Errorf("bob's turn after a restart: session %q, answer %q; want %s going on", s, answer, bobs)
	}
	var bobsCalls, alicesCalls int
	for _, r := range e.rows() {
		switch r.SessionID {
		case bobs:
			bobsCalls++
		case "main":
			alicesCalls++
		}
	}
	if bobsCalls != 4 || alicesCalls != 2 {
		t.Errorf("recorded: %d calls in bob's session, %d in alice's; want 4 and 2", bobsCalls, alicesCalls)
	}
}

// A conversation's id (Conversations API) is the session of the key that
// made it, also before its first response: another key naming it in
// X-Session-Id gets a session of its own, kept across its turns, and the
// conversation's responses go on in the session of its id, whose
// transcript and deletion are the conversation's alone. Until 2026-12-07
// the other key took the id: its calls were recorded under it, the
// conversation's responses went to another session, and deleting the
// session deleted the other key's calls.
func TestAnotherKeyNamingAConversationDoesNotTakeItsSession(t *testing.T) {
	const alice, bob = "key-alice-123456", "key-bob-654321"
	e := start(t, func(c *config.Config) { c.APIKeys = []string{alice, bob} })
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", alice,
		`{"items":[{"type":"message","role":"user","content":"private conv"}]}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	bobs, _ := keyedTurn(t, e, bob, conv.ID, "bob 1")
	if bobs == conv.ID || bobs == "" {
		t.Fatalf("bob naming alice's conversation: session %q, want one of his own", bobs)
	}
	resp := send(t, e, "POST", "/v1/responses", "application/json",
		`{"model":"qwen3-max","conversation":"`+conv.ID+`","input":"alice turn"}`, map[string]string{"Authorization": "Bearer " + alice})
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Session-Id") != conv.ID {
		t.Errorf("alice's response in her conversation: %d, session %q, want %s: %s", resp.StatusCode, resp.Header.Get("X-Session-Id"), conv.ID, b)
	}
	if s, answer := keyedTurn(t, e, bob, conv.ID, "bob 2"); s != bobs || !strings.Contains(answer, `"bob 1"`) {
		t.Errorf("bob's second turn: session %q, answer %q; want %s going on", s, answer, bobs)
	}
	e.sync()
	status, transcript := convCall(t, e, "GET", "/v1/sessions/"+conv.ID+"/transcript", alice, "", nil)
	if status != http.StatusOK || !strings.Contains(transcript, "alice turn") || strings.Contains(transcript, "bob") {
		t.Errorf("the conversation's transcript: %d %s", status, transcript)
	}
	if status, b := convCall(t, e, "DELETE", "/v1/sessions/"+conv.ID, alice, "", nil); status != http.StatusOK {
		t.Fatalf("delete the conversation's session: %d %s", status, b)
	}
	var bobsCalls int
	for _, r := range e.rows() {
		if r.SessionID == bobs {
			bobsCalls++
		}
	}
	if bobsCalls != 2 {
		t.Errorf("bob's calls after alice deleted her conversation's session: %d in his, want 2", bobsCalls)
	}
}

// A call of a key naming another key's session that is refused before its
// turn (the only account resting after Qwen's failure) is recorded in the
// key's own session under that name, where its turns are, and says so in
// X-Session-Id; until 2026-12-07 it was recorded in no session.
func TestAnotherKeysCallRefusedBeforeItsTurnIsInItsOwnSession(t *testing.T) {
	const aliceKey, bobKey = "key-alice-123456", "key-bob-654321"
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}},
		func(c *config.Config) {
			c.MaxRetries, c.FailureCooldown, c.APIKeys = 0, time.Minute, []string{aliceKey, bobKey}
		})
	keyedTurn(t, e, aliceKey, "main", "alice 1")
	bobs, _ := keyedTurn(t, e, bobKey, "main", "bob 1")
	bob := map[string]string{"Authorization": "Bearer " + bobKey, "X-Session-Id": "main"}
	resp, last := refusedWhileResting(t, e, `{"messages":[{"role":"user","content":"bob 2"}]}`, bob)
	if last.RequestID != resp.Header.Get("X-Request-Id") || last.SessionID != bobs || resp.Header.Get("X-Session-Id") != bobs {
		t.Errorf("bob's refused call was recorded in session %q (header %q), want his own, %s", last.SessionID, resp.Header.Get("X-Session-Id"), bobs)
	}
}

// A Responses client sending one X-Session-Id on every call, that of
// another key's session, goes on with previous_response_id in its own
// session under that name, as it would under a name of its own; until
// 2026-12-07 the response was a 400 session_conflict beside the name its
// own turn was asked under.
func TestAnotherKeysResponseGoesOnUnderTheNameItWasAskedUnder(t *testing.T) {
	const alice, bob = "key-alice-123456", "key-bob-654321"
	e := start(t, func(c *config.Config) { c.APIKeys = []string{alice, bob} })
	keyedTurn(t, e, alice, "main", "alice 1")
	bobs := map[string]string{"Authorization": "Bearer " + bob, "X-Session-Id": "main"}
	var first struct{ ID string }
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"bob 1"}`, bobs)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &first) != nil || first.ID == "" {
		t.Fatalf("bob's first response: %d %s", resp.StatusCode, b)
	}
	session := resp.Header.Get("X-Session-Id")
	resp = postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"bob 2","previous_response_id":"`+first.ID+`"}`, bobs)
	b, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Session-Id") != session || session == "main" || !strings.Contains(string(b), `Earlier you said: \"bob 1\"`) {
		t.Errorf("bob's next response under the same name: %d, session %q (first %q): %s", resp.StatusCode, resp.Header.Get("X-Session-Id"), session, b)
	}
	resp = postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":"alice's?","previous_response_id":"`+first.ID+`"}`,
		map[string]string{"Authorization": "Bearer " + alice, "X-Session-Id": "main"})
	if b, _ = io.ReadAll(resp.Body); resp.StatusCode == http.StatusOK {
		t.Errorf("alice continuing bob's response under main: %d %s", resp.StatusCode, b)
	}
}
