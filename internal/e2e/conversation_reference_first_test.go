package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// An item_reference to an id of a conversation's item names the item listed
// under it — the first that carried it, as a later one carrying the same id
// is listed under an id of its own (TestAConversationListsEachIDOnce) —
// whenever it is read: in the listing and in the chat a response is asked
// in. Until 2026-12-07 it was looked for first among every call's items,
// which found the latest that carried the id: a reference added before a
// later item with the same id came to list, and tell the chat, that later
// item.
func TestAnItemReferenceNamesTheItemListedUnderItsID(t *testing.T) {
	e := start(t, nil)
	conv := conversationRepeatingAnID(t, e)
	var list convList
	if status, b := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items?order=asc", "", "", &list); status != http.StatusOK || len(list.Data) != 3 {
		t.Fatalf("list: %d %s", status, b)
	}
	var texts []string
	for _, it := range list.Data {
		texts = append(texts, it.text())
	}
	if want := "[Remember the word plum. Remember the word plum. Again.]"; fmt.Sprint(texts) != want {
		t.Fatalf("listed %v; want %s", texts, want)
	}
	body := `{"model":"gpt-5","conversation":"` + conv.ID + `","input":[{"type":"item_reference","id":"msg_first"},{"role":"user","content":"Which word?"}]}`
	if status, _, _ := postResponse(t, e, body); status != http.StatusOK {
		t.Fatalf("a response naming it: %d", status)
	}
	told, _ := lastMessage(t, e)["content"].(string)
	if strings.Count(told, "plum") != 3 || strings.Count(told, "Again.") != 1 {
		t.Fatalf("the chat was told %q; want plum three times and Again. once", told)
	}
}
