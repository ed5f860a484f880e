package e2e

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// TestAConversationListsEachIDOnce: an id an item of a conversation is
// listed under more than once (a client's id added again, an item_reference
// to the conversation's item, among added items or in a response's input)
// was listed each time under that id. Paging with after, as the SDKs page
// (the last_id of each page), went from the second back to the first: the
// listing never ended (the official SDK's auto-pagination looped for good).
// The first keeps the id; a later one is listed under the id made from its
// own place, which GET names, and after pages past it.
func TestAConversationListsEachIDOnce(t *testing.T) {
	e := start(t, nil)
	conv := conversationRepeatingAnID(t, e)
	body := `{"model":"gpt-5","conversation":"` + conv.ID + `","input":[{"type":"item_reference","id":"msg_first"},{"role":"user","content":"Which word?"}]}`
	if status, _, _ := postResponse(t, e, body); status != http.StatusOK {
		t.Fatalf("a response naming it: %d", status)
	}
	for _, order := range []string{"asc", "desc"} {
		whole := listedIDs(t, e, "/v1/conversations/"+conv.ID+"/items?limit=100&order="+order)
		if len(whole) != 6 || whole[slices.Index(whole, "msg_first")] != "msg_first" {
			t.Fatalf("%s: %v; want 6 items, msg_first once", order, whole)
		}
		seen := map[string]bool{}
		for _, id := range whole {
			if seen[id] {
				t.Fatalf("%s: %s listed twice: %v", order, id, whole)
			}
			seen[id] = true
			var got convItem
			if status, b := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items/"+url.PathEscape(id), "", "", &got); status != http.StatusOK || got.ID != id {
				t.Fatalf("GET %s: %d %s", id, status, b)
			}
		}
		// Paged one by one, as the SDKs page: after is the last page's last_id.
		var paged []string
		after := ""
		for range len(whole) + 2 { // bounded: a listing that comes back never ends
			var page convList
			path := "/v1/conversations/" + conv.ID + "/items?limit=1&order=" + order
			if after != "" {
				path += "&after=" + url.QueryEscape(after)
			}
			if status, b := convCall(t, e, "GET", path, "", "", &page); status != http.StatusOK || len(page.Data) != 1 || page.LastID == nil {
				t.Fatalf("page after %q: %d %s", after, status, b)
			}
			paged, after = append(paged, page.Data[0].ID), *page.LastID
			if !page.HasMore {
				break
			}
		}
		if !slices.Equal(paged, whole) {
			t.Fatalf("%s, paged one by one: %v; want %v", order, paged, whole)
		}
	}
}

// conversationRepeatingAnID makes a conversation whose first item has the
// client's id msg_first ("Remember the word plum."), then adds, one POST
// each, an item_reference to it and another message with that id
// ("Again."), each answered with another id than msg_first.
func conversationRepeatingAnID(t *testing.T, e *env) convObject {
	t.Helper()
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{"items":[{"type":"message","id":"msg_first","role":"user","content":"Remember the word plum."}]}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	for _, item := range []string{`{"type":"item_reference","id":"msg_first"}`, `{"type":"message","id":"msg_first","role":"user","content":"Again."}`} {
		var added convList
		if status, b := convCall(t, e, "POST", "/v1/conversations/"+conv.ID+"/items", "", `{"items":[`+item+`]}`, &added); status != http.StatusOK ||
			len(added.Data) != 1 || added.Data[0].ID == "msg_first" {
			t.Fatalf("added %s, answered with the id it is listed under: %d %s", item, status, b)
		}
	}
	return conv
}
