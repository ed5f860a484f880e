package e2e

import (
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/store/storetest"
)

// TestAnItemReferenceNamesAConversationsItem: an item_reference naming an
// item added to a conversation (POST /v1/conversations or …/items) was
// OpenAI's 400 "Item with id … not found", as only items of stored
// responses resolved. It stands for the item, in a response without the
// conversation and in items added to another conversation, for the key
// that made the conversation; another key's item, or an unknown id, is the
// 400 naming input[N].id, recorded nowhere and never sent upstream.
func TestAnItemReferenceNamesAConversationsItem(t *testing.T) {
	storetest.EachBackend(t, testAnItemReferenceNamesAConversationsItem)
}

func testAnItemReferenceNamesAConversationsItem(t *testing.T, backend string) {
	const alice, bob = "alice-key-1", "bob-key-2"
	e := startOn(t, backend, func(c *config.Config) { c.APIKeys = []string{alice, bob} })
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", alice, `{"items":[{"role":"user","content":"Remember the word kiwi."}]}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	var listed convList
	if status, b := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items", alice, "", &listed); status != http.StatusOK || len(listed.Data) != 1 {
		t.Fatalf("list: %d %s", status, b)
	}
	item := listed.Data[0].ID
	ref := `{"type":"item_reference","id":"` + item + `"}`

	var r struct {
		Output []struct{ Content []struct{ Text string } }
	}
	status, b := convCall(t, e, "POST", "/v1/responses", alice, `{"model":"qwen3-max","input":[`+ref+`,{"role":"user","content":"Which word?"}]}`, &r)
	if status != http.StatusOK {
		t.Fatalf("a reference to the conversation's item: %d %s", status, b)
	}
	if up := upstreamCompletions(t, e.sim); !strings.Contains(messagesOf(up[len(up)-1])[0]["content"].(string), "Remember the word kiwi.") {
		t.Fatalf("the referenced item was not told: %v", messagesOf(up[len(up)-1]))
	}
	var other convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", alice, `{"items":[`+ref+`]}`, &other); status != http.StatusOK {
		t.Fatalf("a reference among a new conversation's items: %d %s", status, b)
	}
	var got convList
	if status, b := convCall(t, e, "GET", "/v1/conversations/"+other.ID+"/items", alice, "", &got); status != http.StatusOK || len(got.Data) != 1 ||
		got.Data[0].ID != item || got.Data[0].text() != "Remember the word kiwi." {
		t.Fatalf("the other conversation lists: %d %s", status, b)
	}

	e.sync()
	calls, upstream := len(e.rows()), len(upstreamCompletions(t, e.sim))
	unknown := "msg_" + strings.Repeat("0", 32) + "in0"
	for _, bad := range []struct{ key, id string }{{bob, item}, {alice, unknown}} {
		resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":[{"type":"item_reference","id":"`+bad.id+`"},{"role":"user","content":"hi"}]}`,
			map[string]string{"Authorization": "Bearer " + bad.key})
		env := decodeEnvelope(t, resp)
		if resp.StatusCode != http.StatusBadRequest || env.Error.Param == nil || *env.Error.Param != "input[0].id" || !strings.Contains(env.Error.Message, "Item with id '"+bad.id+"' not found") {
			t.Errorf("%s as %s: %d %+v", bad.id, bad.key, resp.StatusCode, env.Error)
		}
	}
	e.sync()
	if n := len(e.rows()); n != calls {
		t.Fatalf("refused references recorded: %d calls, want %d", n, calls)
	}
	if n := len(upstreamCompletions(t, e.sim)); n != upstream {
		t.Fatalf("refused references went upstream: %d completions, want %d", n, upstream)
	}
}
