package qwensim

import (
	"strings"
	"testing"
)

// A simulator that serves for long keeps a bounded number of chats (the
// least recently used deleted first) and no log of calls.
func TestABoundedSimulatorForgetsTheLeastRecentlyUsedChat(t *testing.T) {
	srv, err := Start(Options{MaxChats: 2, NoCallLog: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	answer := func(chatID string) string {
		t.Helper()
		_, _, b := webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, completion(chatID, "normal", "qwen3-max", false, "hi"), nil)
		return b
	}
	first := newChat2026(t, srv, nil, "normal")
	second := newChat2026(t, srv, nil, "normal")
	if b := answer(first); !strings.Contains(b, `"response.created"`) {
		t.Fatalf("first chat: %.300s", b)
	}
	// The first chat was used after the second: the second is the one a
	// third chat deletes.
	third := newChat2026(t, srv, nil, "normal")
	if b := answer(second); !strings.Contains(b, "is not exist") {
		t.Errorf("the least recently used chat still answers: %.300s", b)
	}
	for _, id := range []string{first, third} {
		if b := answer(id); !strings.Contains(b, `"response.created"`) {
			t.Errorf("chat %s: %.300s", id, b)
		}
	}
	if n := srv.Chats(); n != 3 {
		t.Errorf("Chats() = %d, want the 3 created", n)
	}
	srv.accounts.mu.Lock()
	owners := len(srv.accounts.owners)
	srv.accounts.mu.Unlock()
	if owners != 2 {
		t.Errorf("%d chat owners kept, want the 2 chats'", owners)
	}
	if calls := srv.Calls(); len(calls) != 0 {
		t.Errorf("%d calls logged, want none", len(calls))
	}
}
