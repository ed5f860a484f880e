package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// With QWEN_DELETE_CHATS the server deletes from the Qwen account the chat
// of a session once it expired, at a cleanup sweep; a session named by
// X-Session-Id keeps its chat. The named session expired first, and
// sweeps go oldest first: the first chat deleted being the unnamed one's
// shows the named one's was left.
func TestExpiredSessionsChatsAreDeletedFromTheAccount(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { testExpiredSessionsChatsAreDeleted(t, backend) })
	}
}

func testExpiredSessionsChatsAreDeleted(t *testing.T, backend string) {
	deletions := make(chan string, 4)
	e := startOnWith(t, backend, qwensim.Options{OnDeleteChat: func(id string) { deletions <- id }}, func(c *config.Config) {
		c.DeleteChats = true
		c.SessionTimeout = time.Millisecond
		c.SessionCleanupInterval = 20 * time.Millisecond
	})
	for _, header := range []map[string]string{{"X-Session-Id": "kept"}, nil} {
		resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`, header)
		if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
	rows := e.rows()
	named, unnamed := rows[len(rows)-2], rows[len(rows)-1]
	select {
	case id := <-deletions:
		if id != unnamed.ChatID || id == named.ChatID {
			t.Fatalf("deleted chat %s; want %s (the unnamed session's), never %s (X-Session-Id's)", id, unnamed.ChatID, named.ChatID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no chat deleted within 10 s of the session's expiry")
	}
	if !e.sim.HasChat(named.ChatID) || e.sim.HasChat(unnamed.ChatID) {
		t.Fatalf("chats left: named %v, unnamed %v", e.sim.HasChat(named.ChatID), e.sim.HasChat(unnamed.ChatID))
	}
}

// A Responses conversation continued by previous_response_id after its
// session expired and its chat was deleted goes on in a new chat, told the
// conversation rebuilt from the stored responses; then only what is new.
func TestAResponsesConversationOutlivesItsDeletedChat(t *testing.T) {
	deletions := make(chan string, 4)
	e := startWith(t, qwensim.Options{OnDeleteChat: func(id string) { deletions <- id }}, func(c *config.Config) {
		c.DeleteChats = true
		c.SessionTimeout = time.Millisecond
		c.SessionCleanupInterval = 20 * time.Millisecond
	})
	first, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":"My favourite colour is vermilion."}`)
	chat := e.lastRow().ChatID
	select {
	case id := <-deletions:
		if id != chat {
			t.Fatalf("deleted %s, want %s", id, chat)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no chat deleted within 10 s of the session's expiry")
	}
	_, text := answeredResponse(t, e, `{"model":"qwen3-max","input":"Which colour?","previous_response_id":"`+first+`"}`)
	if next := e.lastRow(); next.ChatID == chat || !strings.Contains(text, "vermilion") {
		t.Fatalf("continued in chat %s (deleted: %s), answer %q: the new chat was not told the conversation", next.ChatID, chat, text)
	}
}
