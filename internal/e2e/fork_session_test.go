package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// Claude Code 2.1.332's session ids, as its X-Claude-Code-Session-Id: the
// conversation (`claude -p …`) and its fork (`claude --resume <id>
// --fork-session -p …`).
const (
	forkedAgentSession = "c253dc9b-5991-4b17-9cba-0129827917e3"
	forkAgentSession   = "5e0a4c61-07d2-4f4e-9b1d-3a8f6de1c2b7"
)

// claudeTurn posts a Claude Code Messages call of messages under its
// session id and returns the messages with the answer after them.
func claudeTurn(t *testing.T, e *env, agentSession string, messages []any) []any {
	t.Helper()
	m, err := json.Marshal(messages)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"model":"claude-opus-5-5","max_tokens":1024,"system":"You are Claude Code.","messages":` + string(m) + `}`
	resp := postJSON(t, e, "/v1/messages", body, map[string]string{"anthropic-version": "2023-06-01", "X-Claude-Code-Session-Id": agentSession})
	b, _ := io.ReadAll(resp.Body)
	var msg struct {
		Content json.RawMessage `json:"content"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &msg) != nil {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	return append(messages[:len(messages):len(messages)], map[string]any{"role": "assistant", "content": msg.Content})
}

func userTurn(text string) map[string]any { return map[string]any{"role": "user", "content": text} }

// agentSessionsOf is, for each client_session_id of the recorded calls, the
// proxy sessions its calls are in, in the calls' order.
func agentSessionsOf(t *testing.T, e *env) map[string][]string {
	t.Helper()
	rows, err := e.db().Query(`SELECT COALESCE(client_session_id, ''), COALESCE(session_id, '') FROM requests ORDER BY timestamp, request_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var client, sess string
		if err := rows.Scan(&client, &sess); err != nil {
			t.Fatal(err)
		}
		out[client] = append(out[client], sess)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Claude Code's fork of a conversation (`claude --resume A --fork-session
// -p …`) sends A's whole history under a session id of its own. It took A's
// proxy session and Qwen chat, by the history's key, and A, resumed after,
// found its session moved on and was replayed into a new one: one proxy
// session held two agent sessions, and A spanned two. A session keeps the
// agent's id of the call that opened it (sessions.client_session_id), and a
// call under another id does not continue it: the fork opens a session of
// its own, told the history, and A goes on in its own session and chat,
// told only its new turn — after a restart too (the id read back from the
// database) and on PostgreSQL (each turn reads the session there).
func TestAForkedAgentSessionDoesNotTakeItsOriginalsSession(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, backend string) {
		for _, restart := range []bool{false, true} {
			name := "running"
			if restart {
				name = "restarted"
			}
			t.Run(name, func(t *testing.T) { testAForkedAgentSessionDoesNotTakeItsOriginalsSession(t, backend, restart) })
		}
	})
}

func testAForkedAgentSessionDoesNotTakeItsOriginalsSession(t *testing.T, backend string, restart bool) {
	e := startOn(t, backend, nil)
	a := claudeTurn(t, e, forkedAgentSession, []any{userTurn("Write a haiku about forks.")})
	a = claudeTurn(t, e, forkedAgentSession, append(a, userTurn("Now one about spoons.")))
	if lastUpstreamMessage(t, e) != "Now one about spoons." {
		t.Fatal("A's second turn did not go on in its chat")
	}

	if restart { // A's session read back from the database, its id with it
		e.restart()
	}
	// The fork: A's history, its own turn, under its own id.
	f := claudeTurn(t, e, forkAgentSession, append(a, userTurn("Instead, one about knives.")))
	if n := e.sim.Chats(); n != 2 {
		t.Fatalf("after the fork, %d Qwen chats: it went on in A's chat", n)
	}
	// A, resumed: its own session and chat, only its new turn told.
	claudeTurn(t, e, forkedAgentSession, append(a, userTurn("And one about ladles.")))
	if told := lastUpstreamMessage(t, e); told != "And one about ladles." {
		t.Fatalf("A, resumed after its fork, was told %q, not its turn alone: its session moved on", told)
	}
	// The fork's next turn goes on in its own.
	claudeTurn(t, e, forkAgentSession, append(f, userTurn("Shorter.")))
	if told := lastUpstreamMessage(t, e); told != "Shorter." {
		t.Fatalf("the fork's second turn was told %q", told)
	}

	got := agentSessionsOf(t, e)
	as, fs := got[forkedAgentSession], got[forkAgentSession]
	if len(as) != 3 || len(fs) != 2 || as[0] == "" || fs[0] == "" {
		t.Fatalf("calls by agent session: %v", got)
	}
	for _, s := range as {
		if s != as[0] {
			t.Errorf("A's calls are in sessions %v, want one", as)
		}
	}
	for _, s := range fs {
		if s != fs[0] {
			t.Errorf("the fork's calls are in sessions %v, want one", fs)
		}
	}
	if as[0] == fs[0] {
		t.Errorf("A and its fork share session %s", as[0])
	}
	if n := e.sim.Chats(); n != 2 {
		t.Errorf("%d Qwen chats, want 2 (A's and the fork's)", n)
	}
	// Each session keeps the agent's id it was opened with.
	for id, client := range map[string]string{as[0]: forkedAgentSession, fs[0]: forkAgentSession} {
		if n := e.count(`SELECT COUNT(*) FROM sessions WHERE id = ? AND client_session_id = ?`, id, client); n != 1 {
			t.Errorf("session %s is not recorded with client_session_id %s", id, client)
		}
		// And the history shows it (GET /v1/sessions/{id}).
		if status, got := getJSON(t, e, http.MethodGet, "/v1/sessions/"+id); status != http.StatusOK || got["client_session_id"] != client {
			t.Errorf("GET /v1/sessions/%s: %d client_session_id %v, want %s", id, status, got["client_session_id"], client)
		}
	}
}
