package e2e

import (
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/store/storetest"
)

// TestAConversationItemsClientIDIsFoundOutsideItsConversation: an
// item_reference to the id a client gave an item it added to a
// conversation (made with it, or added by POST …/items) was found only
// from that conversation (a response in it, items added to it); from any
// other call it was the 400 "Item with id … not found", where OpenAI
// resolves an item id across the project. It is found from any call of the
// conversation's key (an index of those ids, one row per id of a key), not
// another key's, and no longer once its item is deleted.
func TestAConversationItemsClientIDIsFoundOutsideItsConversation(t *testing.T) {
	storetest.EachBackend(t, testAConversationItemsClientIDIsFoundOutsideItsConversation)
}

func testAConversationItemsClientIDIsFoundOutsideItsConversation(t *testing.T, backend string) {
	const alice, bob = "alice-key-1", "bob-key-2"
	e := startOn(t, backend, func(c *config.Config) { c.APIKeys = []string{alice, bob} })
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", alice, `{"items":[{"type":"message","id":"msg_made","role":"user","content":"Remember the word quince."}]}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	var added convList
	if status, b := convCall(t, e, "POST", "/v1/conversations/"+conv.ID+"/items", alice, `{"items":[{"type":"message","id":"msg_added","role":"user","content":"And the number 7301."}]}`, &added); status != http.StatusOK {
		t.Fatalf("add: %d %s", status, b)
	}
	refer := func(key, id string) (*http.Response, string) {
		t.Helper()
		resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":[{"type":"item_reference","id":"`+id+`"},{"role":"user","content":"What was it?"}]}`,
			map[string]string{"Authorization": "Bearer " + key})
		if resp.StatusCode != http.StatusOK {
			return resp, ""
		}
		resp.Body.Close()
		up := upstreamCompletions(t, e.sim)
		return resp, messagesOf(up[len(up)-1])[0]["content"].(string)
	}
	for id, text := range map[string]string{"msg_made": "quince", "msg_added": "7301"} {
		resp, told := refer(alice, id)
		if resp.StatusCode != http.StatusOK {
			env := decodeEnvelope(t, resp)
			t.Fatalf("a reference to %s from outside its conversation: %d %+v", id, resp.StatusCode, env.Error)
		}
		if !strings.Contains(told, text) {
			t.Fatalf("the item %s names was not told: %q", id, told)
		}
	}
	notFound := func(key, id string) {
		t.Helper()
		resp, _ := refer(key, id)
		env := decodeEnvelope(t, resp)
		if resp.StatusCode != http.StatusBadRequest || env.Error.Param == nil || *env.Error.Param != "input[0].id" || !strings.Contains(env.Error.Message, "Item with id '"+id+"' not found") {
			t.Fatalf("%s as %s: %d %+v", id, key, resp.StatusCode, env.Error)
		}
	}
	notFound(bob, "msg_made")

	// Added again, the id names its latest item; the index holds it once.
	if status, b := convCall(t, e, "POST", "/v1/conversations/"+conv.ID+"/items", alice, `{"items":[{"type":"message","id":"msg_made","role":"user","content":"Remember the word medlar."}]}`, nil); status != http.StatusOK {
		t.Fatalf("add again: %d %s", status, b)
	}
	if _, told := refer(alice, "msg_made"); !strings.Contains(told, "medlar") {
		t.Fatalf("after msg_made was added again, told %q", told)
	}
	var n int
	if err := e.db().QueryRow(`SELECT COUNT(*) FROM conversation_item_ids WHERE item_id = 'msg_made'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("msg_made indexed %d times (%v), want once", n, err)
	}
	// Its item deleted, the id names nothing outside the conversation.
	if status, b := convCall(t, e, "DELETE", "/v1/conversations/"+conv.ID+"/items/msg_added", alice, "", nil); status != http.StatusOK {
		t.Fatalf("DELETE msg_added: %d %s", status, b)
	}
	notFound(alice, "msg_added")
}
