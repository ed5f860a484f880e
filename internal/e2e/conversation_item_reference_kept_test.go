package e2e

import (
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/store/storetest"
)

// TestAReferencedConversationItemIsKeptWithTheCall: an item_reference to
// the id a client gave an item it added to a conversation, made from a call
// outside that conversation, was found by the index of those ids but not
// kept beside the call's request (response_referenced_items): the call's
// …/input_items lost the item once it was deleted from its conversation, a
// branch off the response was told nothing of the conversation before it
// (its rebuild failed, logged only), and retention by size did not count it.
// The item is kept as it was found, as one of a response's items is.
func TestAReferencedConversationItemIsKeptWithTheCall(t *testing.T) {
	storetest.EachBackend(t, testAReferencedConversationItemIsKeptWithTheCall)
}

func testAReferencedConversationItemIsKeptWithTheCall(t *testing.T, backend string) {
	const key = "alice-key-1"
	e := startOn(t, backend, func(c *config.Config) { c.APIKeys = []string{key} })
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", key, `{"items":[{"type":"message","id":"msg_kept","role":"user","content":"Remember the word quince."}]}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	var answered struct {
		ID string `json:"id"`
	}
	if status, b := convCall(t, e, "POST", "/v1/responses", key, `{"model":"qwen3-max","input":[{"type":"item_reference","id":"msg_kept"},{"role":"user","content":"What was it?"}]}`, &answered); status != http.StatusOK {
		t.Fatalf("reference: %d %s", status, b)
	}
	if status, b := convCall(t, e, "DELETE", "/v1/conversations/"+conv.ID+"/items/msg_kept", key, "", nil); status != http.StatusOK {
		t.Fatalf("DELETE msg_kept: %d %s", status, b)
	}
	var input convList
	if status, b := convCall(t, e, "GET", "/v1/responses/"+answered.ID+"/input_items?order=asc", key, "", &input); status != http.StatusOK {
		t.Fatalf("input_items: %d %s", status, b)
	}
	if len(input.Data) != 2 || input.Data[0].ID != "msg_kept" || !strings.Contains(input.Data[0].text(), "quince") {
		t.Fatalf("input_items after the conversation item was deleted: %+v, want msg_kept (quince) then the question", input.Data)
	}
}
