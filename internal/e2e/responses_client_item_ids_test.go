package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/store/storetest"
)

// listedIDs are the ids GET path lists (a list object's data), failing the
// test on anything but a 200.
func listedIDs(t *testing.T, e *env, path string) []string {
	t.Helper()
	resp := send(t, e, "GET", path, "", "", nil)
	var list struct{ Data []struct{ ID string } }
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || json.Unmarshal(b, &list) != nil {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	ids := make([]string, len(list.Data))
	for i, it := range list.Data {
		ids[i] = it.ID
	}
	return ids
}

// TestInputItemsKeepTheClientsIDs: an input item sent with its own id (a
// message, a function call, its output) was listed by GET …/input_items,
// and by a conversation's items, under an id the proxy made up, and an
// item_reference to the client's id was the 400 "Item with id … not
// found". As OpenAI keeps it, the item keeps its id: listed under it,
// paged after it, and named by a later request's item_reference — in a
// request continuing the response, in one resending the history without
// previous_response_id (as the Vercel AI SDK does), and in a
// conversation. Items sent without an id are listed under ids the proxy
// makes, as before; an id the proxy made before for an item sent with its
// own still names it.
func TestInputItemsKeepTheClientsIDs(t *testing.T) {
	storetest.EachBackend(t, testInputItemsKeepTheClientsIDs)
}

func testInputItemsKeepTheClientsIDs(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	tools := `"tools":[{"type":"function","name":"lookup","parameters":{"type":"object","properties":{}}}]`
	input := `[{"type":"message","id":"msg_mine","role":"user","content":"Remember the word kiwi."},` +
		`{"type":"function_call","id":"fc_mine","call_id":"call_1","name":"lookup","arguments":"{}"},` +
		`{"type":"function_call_output","id":"fco_mine","call_id":"call_1","output":"42"},` +
		`{"role":"user","content":"Go on."}]`
	first, _ := answeredResponse(t, e, `{"model":"gpt-5",`+tools+`,"input":`+input+`}`)
	ids := listedIDs(t, e, "/v1/responses/"+first+"/input_items?order=asc")
	if len(ids) != 4 || ids[0] != "msg_mine" || ids[1] != "fc_mine" || ids[2] != "fco_mine" || !strings.HasPrefix(ids[3], "msg_") || ids[3] == "msg_mine" {
		t.Fatalf("input items listed as %v, want msg_mine, fc_mine, fco_mine, then one the proxy made", ids)
	}
	if after := listedIDs(t, e, "/v1/responses/"+first+"/input_items?order=asc&after=fc_mine"); len(after) != 2 || after[0] != "fco_mine" {
		t.Fatalf("after=fc_mine lists %v", after)
	}

	// Named by a request continuing the response, and by one that resends
	// the conversation without it.
	for _, body := range []string{
		`{"model":"gpt-5","previous_response_id":"` + first + `","input":[{"type":"item_reference","id":"msg_mine"},{"role":"user","content":"Which word?"}]}`,
		`{"model":"gpt-5",` + tools + `,"input":[{"type":"item_reference","id":"msg_mine"},{"type":"item_reference","id":"fc_mine"},{"type":"item_reference","id":"fco_mine"},{"role":"user","content":"Which word?"}]}`,
		// The id the proxy listed msg_mine under before it kept it.
		`{"model":"gpt-5","input":[{"type":"item_reference","id":"msg_` + first[len("resp_"):len("resp_")+32] + `in0"},{"role":"user","content":"Which word?"}]}`,
	} {
		if status, id, _ := postResponse(t, e, body); status != http.StatusOK {
			t.Fatalf("%s: %d", body, status)
		} else if got := listedIDs(t, e, "/v1/responses/"+id+"/input_items?order=asc"); !strings.HasPrefix(got[0], "msg_") {
			t.Fatalf("the reference is listed as %v", got)
		}
	}
	if up := upstreamCompletions(t, e.sim); !strings.Contains(messagesOf(up[len(up)-1])[0]["content"].(string), "Remember the word kiwi.") {
		t.Fatalf("the referenced item was not told: %v", messagesOf(up[len(up)-1]))
	}

	// A conversation's item keeps its id too, and a response in the
	// conversation names it.
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{"items":[{"type":"message","id":"msg_conv","role":"user","content":"Remember the word plum."}]}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	if got := listedIDs(t, e, "/v1/conversations/"+conv.ID+"/items"); len(got) != 1 || got[0] != "msg_conv" {
		t.Fatalf("the conversation lists %v, want msg_conv", got)
	}
	if status, b := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items/msg_conv", "", "", nil); status != http.StatusOK {
		t.Fatalf("GET the item by its id: %d %s", status, b)
	}
	body := `{"model":"gpt-5","conversation":"` + conv.ID + `","input":[{"type":"item_reference","id":"msg_conv"},{"role":"user","content":"Which word?"}]}`
	if status, _, _ := postResponse(t, e, body); status != http.StatusOK {
		t.Fatalf("a reference to the conversation's item in the conversation: %d", status)
	}

	// An unknown id is still the 400 naming it.
	status, _, _ := postResponse(t, e, `{"model":"gpt-5","input":[{"type":"item_reference","id":"msg_nobodys"},{"role":"user","content":"hi"}]}`)
	if status != http.StatusBadRequest {
		t.Fatalf("an unknown id: %d", status)
	}
}

// TestACompactedResponseIsRetrievable: the id POST /v1/responses/compact
// answers with is continued by previous_response_id, but GET
// /v1/responses/{id} answered 404, as did its input_items and DELETE, and
// an item_reference to an item of its output (a kept user message) was the
// 400 "not found": ids the proxy handed out that named nothing. GET serves
// the compacted response as it was answered (object response.compaction),
// input_items its input, DELETE deletes it (previous_response_id then
// continues nothing), and its items are named by reference.
func TestACompactedResponseIsRetrievable(t *testing.T) {
	e := start(t, nil)
	c := compact(t, e, `{"model":"gpt-5","input":[{"role":"user","content":"Remember the word kiwi."},{"role":"assistant","content":"Kiwi."}]}`)
	resp := send(t, e, "GET", "/v1/responses/"+c.ID, "", "", nil)
	var got compacted
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || json.Unmarshal(b, &got) != nil || got.ID != c.ID || got.Object != "response.compaction" || len(got.Output) != len(c.Output) {
		t.Fatalf("GET the compacted response: %d %s", resp.StatusCode, b)
	}
	if ids := listedIDs(t, e, "/v1/responses/"+c.ID+"/input_items?order=asc"); len(ids) != 2 {
		t.Fatalf("its input items: %v", ids)
	}
	var kept, summary struct{ ID string }
	if json.Unmarshal(c.Output[0], &kept) != nil || json.Unmarshal(c.Output[len(c.Output)-1], &summary) != nil || kept.ID == "" {
		t.Fatalf("compacted output %s", c.Output)
	}
	body := `{"model":"gpt-5","input":[{"type":"item_reference","id":"` + kept.ID + `"},{"type":"item_reference","id":"` + summary.ID + `"},{"role":"user","content":"Which word?"}]}`
	if status, _, _ := postResponse(t, e, body); status != http.StatusOK {
		t.Fatalf("references to the compacted response's items: %d", status)
	}
	if status, _, _ := postResponse(t, e, `{"model":"gpt-5","previous_response_id":"`+c.ID+`","input":"Which word?"}`); status != http.StatusOK {
		t.Fatalf("continued: %d", status)
	}
	if resp := send(t, e, "DELETE", "/v1/responses/"+c.ID, "", "", nil); resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("DELETE: %d %s", resp.StatusCode, b)
	}
	if resp := send(t, e, "GET", "/v1/responses/"+c.ID, "", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET after DELETE: %d", resp.StatusCode)
	}
	if status, _, _ := postResponse(t, e, `{"model":"gpt-5","previous_response_id":"`+c.ID+`","input":"Which word?"}`); status != http.StatusBadRequest {
		t.Fatalf("continued after DELETE: %d", status)
	}
}

// TestAClientsItemIDIsItsKeys: an id a client gave its item names it for
// the key that sent it only: another key's item_reference to it is the 400
// "not found", as another key's response is not found.
func TestAClientsItemIDIsItsKeys(t *testing.T) {
	storetest.EachBackend(t, testAClientsItemIDIsItsKeys)
}

func testAClientsItemIDIsItsKeys(t *testing.T, backend string) {
	const alice, bob = "alice-key-1", "bob-key-2"
	e := startOn(t, backend, func(c *config.Config) { c.APIKeys = []string{alice, bob} })
	as := func(key, body string) int {
		resp := postJSON(t, e, "/v1/responses", body, map[string]string{"Authorization": "Bearer " + key})
		_, _ = io.ReadAll(resp.Body)
		return resp.StatusCode
	}
	if status := as(alice, `{"model":"gpt-5","input":[{"type":"message","id":"msg_alices","role":"user","content":"The code is 1234."}]}`); status != http.StatusOK {
		t.Fatalf("alice: %d", status)
	}
	ref := `{"model":"gpt-5","input":[{"type":"item_reference","id":"msg_alices"},{"role":"user","content":"What is the code?"}]}`
	if status := as(bob, ref); status != http.StatusBadRequest {
		t.Fatalf("bob's reference to alice's item: %d, want 400", status)
	}
	if status := as(alice, ref); status != http.StatusOK {
		t.Fatalf("alice's own reference: %d", status)
	}
}

// TestAConversationContinuedFromACompactionWhoseChatIsGone: a
// previous_response_id naming a compacted response continues its chat; when
// Qwen no longer knows that chat, the new one was told nothing of the
// conversation (the chain read back stopped before the compaction, whose
// id named no response). It is told the compacted conversation: the kept
// user messages and the summary.
func TestAConversationContinuedFromACompactionWhoseChatIsGone(t *testing.T) {
	e := start(t, nil)
	first, _ := answeredResponse(t, e, `{"model":"gpt-5","input":"My favourite colour is vermilion."}`)
	c := compact(t, e, `{"model":"gpt-5","previous_response_id":"`+first+`"}`)
	e.sim.ForgetChats()
	if _, text := answeredResponse(t, e, `{"model":"gpt-5","input":"Which colour?","previous_response_id":"`+c.ID+`"}`); !strings.Contains(text, "vermilion") {
		t.Fatalf("the new chat was not told the compacted conversation: %q", text)
	}
}

// TestAConversationsItemsNameItsClientIDs: an item_reference to the id a
// client gave an item of a conversation, among items added to that
// conversation, was the 400 "not found"; and a response in the
// conversation naming it was listed by the conversation's items without
// it. Both stand for the item: the item keeps its id, and each reference is
// listed under the id made from its own place (until 2026-12-07 all three
// under msg_first, which after could not page past:
// TestAConversationListsEachIDOnce).
func TestAConversationsItemsNameItsClientIDs(t *testing.T) {
	e := start(t, nil)
	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{"items":[{"type":"message","id":"msg_first","role":"user","content":"Remember the word plum."}]}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	var added convList
	if status, b := convCall(t, e, "POST", "/v1/conversations/"+conv.ID+"/items", "", `{"items":[{"type":"item_reference","id":"msg_first"}]}`, &added); status != http.StatusOK ||
		len(added.Data) != 1 || added.Data[0].ID == "msg_first" || added.Data[0].text() != "Remember the word plum." {
		t.Fatalf("an added reference to the conversation's item: %d %s", status, b)
	}
	body := `{"model":"gpt-5","conversation":"` + conv.ID + `","input":[{"type":"item_reference","id":"msg_first"},{"role":"user","content":"Which word?"}]}`
	if status, _, _ := postResponse(t, e, body); status != http.StatusOK {
		t.Fatalf("a response naming it: %d", status)
	}
	var n, plum int
	var listed convList
	if status, b := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items?order=asc", "", "", &listed); status != http.StatusOK {
		t.Fatalf("list: %d %s", status, b)
	}
	for _, it := range listed.Data {
		if it.ID == "msg_first" {
			n++
		}
		if it.text() == "Remember the word plum." {
			plum++
		}
	}
	if n != 1 || plum != 3 {
		t.Fatalf("msg_first is listed %d times, the item %d times; want once, and the item 3 times (the item, the added reference, the response's)", n, plum)
	}
}

// TestTheIDsMadeForItemsSentWithTheirOwnStillNameThem: until the proxy kept
// the id a client gave its input item, it listed the item under one it
// made (msg_<the response's or conversation entry's id>in<N>), and handed
// that id out. An item_reference to it names the item
// (TestInputItemsKeepTheClientsIDs); so do input_items' and a
// conversation's after, and GET and DELETE of a conversation's item, which
// answered 400 and 404.
func TestTheIDsMadeForItemsSentWithTheirOwnStillNameThem(t *testing.T) {
	e := start(t, nil)
	first, _ := answeredResponse(t, e, `{"model":"gpt-5","input":[{"type":"message","id":"msg_mine","role":"user","content":"Remember the word kiwi."},{"role":"user","content":"Go on."}]}`)
	made := "msg_" + first[len("resp_"):len("resp_")+32] + "in0"
	if ids := listedIDs(t, e, "/v1/responses/"+first+"/input_items?order=asc&after="+made); len(ids) != 1 || strings.HasPrefix(ids[0], "msg_mine") {
		t.Fatalf("after the made id, input_items lists %v", ids)
	}

	var conv convObject
	if status, b := convCall(t, e, "POST", "/v1/conversations", "", `{"items":[{"type":"message","id":"msg_a","role":"user","content":"One."},{"type":"message","id":"msg_b","role":"user","content":"Two."}]}`, &conv); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, b)
	}
	var entry string
	if err := e.db().QueryRow(`SELECT entry_id FROM conversation_entries WHERE conversation_id = ? ORDER BY seq LIMIT 1`, conv.ID).Scan(&entry); err != nil {
		t.Fatal(err)
	}
	madeA := "msg_" + strings.ReplaceAll(entry, "-", "") + "in0"
	if ids := listedIDs(t, e, "/v1/conversations/"+conv.ID+"/items?order=asc&after="+madeA); len(ids) != 1 || ids[0] != "msg_b" {
		t.Fatalf("after the made id, the conversation lists %v", ids)
	}
	var got convItem
	if status, b := convCall(t, e, "GET", "/v1/conversations/"+conv.ID+"/items/"+madeA, "", "", &got); status != http.StatusOK || got.ID != "msg_a" {
		t.Fatalf("GET the item by its made id: %d %s", status, b)
	}
	if status, b := convCall(t, e, "DELETE", "/v1/conversations/"+conv.ID+"/items/"+madeA, "", "", nil); status != http.StatusOK {
		t.Fatalf("DELETE the item by its made id: %d %s", status, b)
	}
	if ids := listedIDs(t, e, "/v1/conversations/"+conv.ID+"/items"); len(ids) != 1 || ids[0] != "msg_b" {
		t.Fatalf("after the DELETE, the conversation lists %v", ids)
	}
}

// TestAChainsClientIDsResolveBeyondTheLatestCalls: an item_reference to an
// id a client gave an item of a response is looked for along the
// previous_response_id chain before the key's latest calls. Its response's
// input_items listed it only while the call that gave it was among those
// (then without it), and a new chat rebuilt from the chain, its old one
// gone, was told nothing (the reference did not resolve, so the rebuilt
// conversation was dropped). Both read it along the chain.
func TestAChainsClientIDsResolveBeyondTheLatestCalls(t *testing.T) {
	e := start(t, nil)
	first, _ := answeredResponse(t, e, `{"model":"gpt-5","input":[{"type":"message","id":"msg_old","role":"user","content":"My favourite colour is vermilion."}]}`)
	second, _ := answeredResponse(t, e, `{"model":"gpt-5","previous_response_id":"`+first+`","input":[{"type":"item_reference","id":"msg_old"},{"role":"user","content":"Noted?"}]}`)
	for range 100 { // the key's latest calls, without the first
		answeredResponse(t, e, `{"model":"gpt-5","store":false,"input":"filler"}`)
	}
	if ids := listedIDs(t, e, "/v1/responses/"+second+"/input_items?order=asc"); len(ids) != 2 || ids[0] != "msg_old" {
		t.Fatalf("the second response's input items: %v", ids)
	}
	e.sim.ForgetChats()
	if _, text := answeredResponse(t, e, `{"model":"gpt-5","input":"Which colour?","previous_response_id":"`+second+`"}`); !strings.Contains(text, "vermilion") {
		t.Fatalf("the new chat was not told the conversation: %q", text)
	}
}
