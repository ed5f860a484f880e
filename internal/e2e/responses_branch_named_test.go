package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// namedResponse is answeredResponse with an X-Session-Id: the response's id
// and text, or the status and body of a call that was not answered.
func namedResponse(t *testing.T, e *env, sessionID, body string) (status int, id, text string, raw []byte) {
	t.Helper()
	resp := postJSON(t, e, "/v1/responses", body, map[string]string{"X-Session-Id": sessionID})
	raw, _ = io.ReadAll(resp.Body)
	var r struct {
		ID     string
		Output []struct{ Content []struct{ Text string } }
	}
	_ = json.Unmarshal(raw, &r)
	if len(r.Output) > 0 && len(r.Output[0].Content) > 0 {
		text = r.Output[0].Content[0].Text
	}
	return resp.StatusCode, r.ID, text, raw
}

// TestPreviousResponseIDBranchesUnderANamedSession: a client that names its
// conversation with a fixed X-Session-Id and moves through it by
// previous_response_id. A branch opens a session of its own (a second chat
// cannot hold the first's turns), so the client's next call — the same
// header, continuing the branch's response — named two sessions: it was a
// 400 session_conflict, the branch usable only by dropping the header the
// client sends on every call. The header names the conversation the client
// started under it, branches made off it included: the call goes on in the
// branch's chat (told nothing again), a response of the header's own
// session in its chat, a branch of the branch in a chat of its own — after
// a restart too, the branch's origin read back from the database. A header
// naming a session the response's did not branch off from is still a
// conflict. On both backends.
func TestPreviousResponseIDBranchesUnderANamedSession(t *testing.T) {
	storetest.EachBackend(t, testPreviousResponseIDBranchesUnderANamedSession)
}

func testPreviousResponseIDBranchesUnderANamedSession(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	const named = "my-thread"
	answered := func(body string) (id, text string) {
		t.Helper()
		status, id, text, raw := namedResponse(t, e, named, body)
		if status != http.StatusOK || text == "" {
			t.Fatalf("%s under %s: %d %s", body, named, status, raw)
		}
		return id, text
	}
	r1, _ := answered(`{"model":"qwen3-max","input":"My cat is called Ziggy."}`)
	chat1, _ := sentToQwen(t, e)
	a, _ := answered(`{"model":"qwen3-max","input":"Alpha question","previous_response_id":"` + r1 + `"}`)
	answered(`{"model":"qwen3-max","input":"Alpha follow-up","previous_response_id":"` + a + `"}`) // r1 two turns back: a branch
	b, _ := answered(`{"model":"qwen3-max","input":"Beta question","previous_response_id":"` + r1 + `"}`)
	chatB, _ := sentToQwen(t, e)
	if sessionOfResponse(t, r1) != named || sessionOfResponse(t, a) != named || sessionOfResponse(t, b) == named || chatB == chat1 {
		t.Fatalf("sessions r1 %s, a %s, b %s; chats %s, %s", sessionOfResponse(t, r1), sessionOfResponse(t, a), sessionOfResponse(t, b), chat1, chatB)
	}

	// The history says where the branch came from (GET /v1/sessions/{id}'s
	// branched_from).
	for _, want := range []struct{ session, from string }{{sessionOfResponse(t, b), named}, {named, ""}} {
		status, got := getJSON(t, e, "GET", "/v1/sessions/"+want.session)
		if from, _ := got["branched_from"].(string); status != http.StatusOK || from != want.from || want.from == "" && got["branched_from"] != nil {
			t.Fatalf("GET /v1/sessions/%s: %d branched_from %v, want %q", want.session, status, got["branched_from"], want.from)
		}
	}

	// The branch's second turn, under the same header.
	chats := e.sim.Chats()
	b2, text := answered(`{"model":"qwen3-max","input":"Delta question","previous_response_id":"` + b + `"}`)
	if chat, sent := sentToQwen(t, e); chat != chatB || strings.Contains(sent, "Ziggy") || !strings.Contains(text, "Beta") || strings.Contains(text, "Alpha") {
		t.Fatalf("continuing the branch under its header: chat %s (want %s), sent %s, answer %q", chat, chatB, sent, text)
	}
	if sessionOfResponse(t, b2) != sessionOfResponse(t, b) || e.sim.Chats() != chats {
		t.Fatalf("the branch's continuation: session %s (want %s), %d chats opened", sessionOfResponse(t, b2), sessionOfResponse(t, b), e.sim.Chats()-chats)
	}
	// The header's own session goes on in its chat, as before.
	if _, text := answered(`{"model":"qwen3-max","input":"Gamma question","previous_response_id":"` + a + `"}`); !strings.Contains(text, "Alpha") || strings.Contains(text, "Beta") {
		t.Fatalf("continuing the named session: %q", text)
	}
	if chat, _ := sentToQwen(t, e); chat != chat1 {
		t.Fatalf("the named session went on in chat %s, not %s", chat, chat1)
	}
	// A branch of the branch (b two turns back): a chat of its own, told
	// b's conversation.
	answered(`{"model":"qwen3-max","input":"Delta follow-up","previous_response_id":"` + b2 + `"}`)
	c, text := answered(`{"model":"qwen3-max","input":"Epsilon question","previous_response_id":"` + b + `"}`)
	if chat, _ := sentToQwen(t, e); chat == chat1 || chat == chatB || !strings.Contains(text, "Beta") || strings.Contains(text, "Delta") {
		t.Fatalf("a branch of the branch: chat %s, answer %q", chat, text)
	}
	// input_tokens takes what POST /v1/responses takes.
	resp := postJSON(t, e, "/v1/responses/input_tokens", `{"model":"qwen3-max","input":"Zeta question","previous_response_id":"`+b2+`"}`,
		map[string]string{"X-Session-Id": named})
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		t.Fatalf("input_tokens of the branch under its header: %d %s", resp.StatusCode, body)
	}

	// Another session's name is still a conflict.
	if status, _, _, _ := namedResponse(t, e, "other-thread", `{"model":"qwen3-max","input":"hi"}`); status != http.StatusOK {
		t.Fatalf("opening another named session: %d", status)
	}
	status, _, _, raw := namedResponse(t, e, "other-thread", `{"model":"qwen3-max","input":"Eta question","previous_response_id":"`+b2+`"}`)
	if status != http.StatusBadRequest || !strings.Contains(string(raw), "session_conflict") {
		t.Fatalf("a branch's response under another session's header: %d %s", status, raw)
	}

	// Read back from the database.
	e.restart()
	if _, text := answered(`{"model":"qwen3-max","input":"Theta question","previous_response_id":"` + b2 + `"}`); !strings.Contains(text, "Delta") {
		t.Fatalf("continuing the branch under its header after a restart: %q", text)
	}
	if chat, _ := sentToQwen(t, e); chat != chatB {
		t.Fatalf("the branch went on in chat %s after a restart, not %s", chat, chatB)
	}
	if _, text := answered(`{"model":"qwen3-max","input":"Iota question","previous_response_id":"` + c + `"}`); !strings.Contains(text, "Epsilon") {
		t.Fatalf("continuing the branch of the branch under its header after a restart: %q", text)
	}
}
