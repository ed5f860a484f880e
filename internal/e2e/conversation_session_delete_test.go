package e2e

import (
	"net/http"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// TestDeletingAConversationsSessionDeletesIt: the history's delete of a
// conversation's session (the dashboard's "Delete conversation",
// `sessions rm`, DELETE /v1/sessions/{id}) deletes its calls, so the
// conversation goes with them: left behind, it listed none of its
// responses and its next response was answered in a new chat told
// nothing of them. On both backends.
func TestDeletingAConversationsSessionDeletesIt(t *testing.T) {
	storetest.EachBackend(t, testDeletingAConversationsSessionDeletesIt)
}

func testDeletingAConversationsSessionDeletesIt(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{"items":[{"role":"user","content":"Remember kiwi."}]}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	convResponse(t, e, `{"model":"qwen3-max","input":"What fruit?","conversation":"`+conv.ID+`"}`)
	if status, b := convCall(t, e, "DELETE", "/v1/sessions/"+conv.ID, "", "", nil); status != http.StatusOK {
		t.Fatalf("delete the session: %d %s", status, b)
	}
	if status, b := convCall(t, e, "GET", "/v1/conversations/"+conv.ID, "", "", nil); status != http.StatusNotFound {
		t.Errorf("the conversation after its session was deleted: %d %s, want a 404", status, b)
	}
	if status, b := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items", "", "", nil); status != http.StatusNotFound {
		t.Errorf("its items after its session was deleted: %d %s, want a 404", status, b)
	}
	if n := e.count(`SELECT COUNT(*) FROM conversation_entries`); n != 0 {
		t.Errorf("%d conversation entries left", n)
	}
}
