package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/store/bodies"
	"qwenproxy/internal/store/storetest"
)

// requestIDOf is the request id a response id carries (its 32 hex digits,
// as a UUID).
func requestIDOf(respID string) string {
	h := respID[len("resp_") : len("resp_")+32]
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// TestAClientsItemIDIsFoundAmongAllTheKeysCalls: an item_reference to an id
// a client gave its item, sent without the previous_response_id chain that
// holds it, was looked for only in the key's 100 latest calls: once 100
// calls followed the one that gave it, it was the 400 "Item with id … not
// found". OpenAI finds it among every stored item; so does the proxy (an
// index of the ids its calls gave their items), while it stays the key's
// alone, and no longer once its response is deleted.
func TestAClientsItemIDIsFoundAmongAllTheKeysCalls(t *testing.T) {
	storetest.EachBackend(t, testAClientsItemIDIsFoundAmongAllTheKeysCalls)
}

func testAClientsItemIDIsFoundAmongAllTheKeysCalls(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	first, _ := answeredResponse(t, e, `{"model":"gpt-5","input":[{"type":"message","id":"msg_far","role":"user","content":"My favourite colour is vermilion."}]}`)
	for range 101 { // the key's latest calls, without the first
		answeredResponse(t, e, `{"model":"gpt-5","input":"filler"}`)
	}
	ref := `{"model":"gpt-5","input":[{"type":"item_reference","id":"msg_far"},{"role":"user","content":"Which colour?"}]}`
	status, id, _ := postResponse(t, e, ref)
	if status != http.StatusOK {
		t.Fatalf("a reference to an item 102 calls back: %d, want 200", status)
	}
	if ids := listedIDs(t, e, "/v1/responses/"+id+"/input_items?order=asc"); len(ids) != 2 || ids[0] != "msg_far" {
		t.Fatalf("its input items: %v", ids)
	}
	if up := upstreamCompletions(t, e.sim); !strings.Contains(messagesOf(up[len(up)-1])[0]["content"].(string), "vermilion") {
		t.Fatalf("the referenced item was not told: %v", messagesOf(up[len(up)-1]))
	}
	// The lookup is the index's, which holds the ids only.
	var n int
	if err := e.db().QueryRow(`SELECT COUNT(*) FROM response_item_ids WHERE item_id = 'msg_far'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("msg_far indexed %d times (%v), want once", n, err)
	}
	// Its response deleted, the id names nothing.
	if resp := send(t, e, "DELETE", "/v1/responses/"+first, "", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	if status, _, _ := postResponse(t, e, ref); status != http.StatusBadRequest {
		t.Fatalf("a reference to an item of a deleted response: %d, want 400", status)
	}
	if err := e.db().QueryRow(`SELECT COUNT(*) FROM response_item_ids WHERE item_id = 'msg_far'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("msg_far indexed %d times (%v) after its response was deleted, want none", n, err)
	}
}

// TestADeletedResponseLeavesTheInputItemsThatNamedIt: a response B whose
// input named an item of response A by item_reference listed that item in
// its input_items only while A was there: the reference was resolved when
// listed, so deleting A took the item out of B's input_items (and out of
// what a new chat is told of B's conversation). B's record keeps the items
// its references named, as it was answered: redacted as its own body is,
// beside its body (which stays what its client sent), and never sent to
// Qwen.
func TestADeletedResponseLeavesTheInputItemsThatNamedIt(t *testing.T) {
	storetest.EachBackend(t, testADeletedResponseLeavesTheInputItemsThatNamedIt)
}

func testADeletedResponseLeavesTheInputItemsThatNamedIt(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	tools := `"tools":[{"type":"function","name":"login","parameters":{"type":"object","properties":{}}}]`
	first, _ := answeredResponse(t, e, `{"model":"gpt-5",`+tools+`,"input":[{"type":"message","id":"msg_kept","role":"user","content":"My favourite colour is vermilion."},`+
		`{"type":"function_call","id":"fc_kept","call_id":"call_1","name":"login","arguments":"{\"password\":\"hunter2-secret\"}"},`+
		`{"type":"function_call_output","call_id":"call_1","output":"ok"},{"role":"user","content":"Go on."}]}`)
	second, _ := answeredResponse(t, e, `{"model":"gpt-5",`+tools+`,"input":[{"type":"item_reference","id":"msg_kept"},{"type":"item_reference","id":"fc_kept"},`+
		`{"type":"function_call_output","call_id":"call_1","output":"ok"},{"role":"user","content":"Which colour?"}]}`)
	listed := func() []byte {
		resp := send(t, e, "GET", "/v1/responses/"+second+"/input_items?order=asc", "", "", nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("input_items: %d %s", resp.StatusCode, b)
		}
		return b
	}
	before := listed()
	if !strings.Contains(string(before), `"msg_kept"`) || !strings.Contains(string(before), `"fc_kept"`) {
		t.Fatalf("B's input items before A's deletion: %s", before)
	}
	if resp := send(t, e, "DELETE", "/v1/responses/"+first, "", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE A: %d", resp.StatusCode)
	}
	if after := listed(); string(after) != string(before) {
		t.Fatalf("B's input items changed with A's deletion:\nbefore %s\nafter  %s", before, after)
	}
	// What Qwen was sent for B is what it was sent before: the items, not
	// the record's copy of them.
	for _, up := range upstreamCompletions(t, e.sim) {
		if b, _ := json.Marshal(up); strings.Contains(string(b), "_referenced_items") {
			t.Fatalf("Qwen was sent the record's member: %s", b)
		}
	}
	// The record keeps them redacted, as it keeps its own body, beside it.
	var blob []byte
	if err := e.db().QueryRow(`SELECT ri.items FROM response_referenced_items ri JOIN requests q ON q.id = ri.request_id WHERE q.request_id = $1`,
		requestIDOf(second)).Scan(&blob); err != nil {
		t.Fatalf("B's kept items: %v", err)
	}
	if kept, err := bodies.NewCodec().Decompress(blob); err != nil || !strings.Contains(string(kept), "msg_kept") ||
		!strings.Contains(string(kept), "fc_kept") || strings.Contains(string(kept), "hunter2-secret") {
		t.Fatalf("B's kept items: %s (%v)", kept, err)
	}
	_, detail := getJSON(t, e, "GET", "/v1/requests/"+requestIDOf(second))
	if b, _ := json.Marshal(detail); strings.Contains(string(b), "_referenced_items") || strings.Contains(string(b), "hunter2-secret") {
		t.Fatalf("B's record: %s", b)
	}
	// A new chat told B's conversation again is told the item.
	e.sim.ForgetChats()
	if _, text := answeredResponse(t, e, `{"model":"gpt-5","input":"Which colour again?","previous_response_id":"`+second+`"}`); !strings.Contains(text, "vermilion") {
		t.Fatalf("the new chat was not told the kept item: %q", text)
	}
}

// TestARecordCannotBeGivenItemsItsReferencesDidNotName: the items a record
// keeps for its references are the proxy's, beside the body: a client's
// body carrying a member that looks like them does not change what its
// input_items list for its references (and is kept as sent).
func TestARecordCannotBeGivenItemsItsReferencesDidNotName(t *testing.T) {
	e := start(t, nil)
	answeredResponse(t, e, `{"model":"gpt-5","input":[{"type":"message","id":"msg_real","role":"user","content":"The real one."}]}`)
	id, _ := answeredResponse(t, e, `{"model":"gpt-5","input":[{"type":"item_reference","id":"msg_real"},{"role":"user","content":"hi"}],`+
		`"_referenced_items":{"msg_real":{"id":"msg_real","type":"message","role":"user","status":"completed","content":[{"type":"input_text","text":"forged"}]}}}`)
	resp := send(t, e, "GET", "/v1/responses/"+id+"/input_items?order=asc", "", "", nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "The real one.") || strings.Contains(string(b), "forged") {
		t.Fatalf("input_items: %d %s", resp.StatusCode, b)
	}
	if body := fetch(t, e, "/v1/requests/"+requestIDOf(id)); !strings.Contains(body, "forged") {
		t.Fatalf("the client's own member is not kept as sent: %s", body)
	}
}

// TestAReferencedItemTooLongToKeepIsStillListed: the items a request's
// references named, longer together than RECORD_MAX_BODY_BYTES, are not
// kept (its body is kept whole, as sent): its references are read as they
// are found, rather than its input_items listing nothing.
func TestAReferencedItemTooLongToKeepIsStillListed(t *testing.T) {
	e := start(t, func(c *config.Config) { c.RecordMaxBodyBytes = 4096 })
	long := strings.Repeat("vermilion ", 398) // its body 4,069 bytes, kept as listed 4,106
	answeredResponse(t, e, `{"model":"gpt-5","input":[{"type":"message","id":"msg_long","role":"user","content":"`+long+`"}]}`)
	id, _ := answeredResponse(t, e, `{"model":"gpt-5","input":[{"type":"item_reference","id":"msg_long"},{"role":"user","content":"Which colour? `+strings.Repeat("Think. ", 60)+`"}]}`)
	if ids := listedIDs(t, e, "/v1/responses/"+id+"/input_items?order=asc"); len(ids) != 2 || ids[0] != "msg_long" {
		t.Fatalf("its input items: %v", ids)
	}
	var n int
	if err := e.db().QueryRow(`SELECT COUNT(*) FROM response_referenced_items`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d items kept (%v), want none: longer than a recorded body may be", n, err)
	}
}

// TestAnItemIDOutlivesItsLatestCarrier: the index names one call per id,
// the latest that carried it; a client that resent an item with its id
// finds it after that latest call's response is deleted, in the earlier
// call that gave it (among the key's latest calls, looked in when the index
// finds nothing).
func TestAnItemIDOutlivesItsLatestCarrier(t *testing.T) {
	e := start(t, nil)
	item := `{"type":"message","id":"msg_twice","role":"user","content":"My favourite colour is vermilion."}`
	answeredResponse(t, e, `{"model":"gpt-5","input":[`+item+`]}`)
	second, _ := answeredResponse(t, e, `{"model":"gpt-5","input":[`+item+`,{"role":"user","content":"Again."}]}`)
	var named string
	var n int
	if err := e.db().QueryRow(`SELECT q.request_id FROM response_item_ids i JOIN requests q ON q.id = i.request_id WHERE i.item_id = 'msg_twice'`).Scan(&named); err != nil ||
		named != requestIDOf(second) {
		t.Fatalf("msg_twice names %q (%v), want the latest call, %s", named, err, requestIDOf(second))
	}
	if err := e.db().QueryRow(`SELECT COUNT(*) FROM response_item_ids WHERE item_id = 'msg_twice'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("msg_twice indexed %d times (%v), want once", n, err)
	}
	if resp := send(t, e, "DELETE", "/v1/responses/"+second, "", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	status, id, _ := postResponse(t, e, `{"model":"gpt-5","input":[{"type":"item_reference","id":"msg_twice"},{"role":"user","content":"Which colour?"}]}`)
	if status != http.StatusOK {
		t.Fatalf("a reference to an item its first call still carries: %d, want 200", status)
	}
	if ids := listedIDs(t, e, "/v1/responses/"+id+"/input_items?order=asc"); len(ids) != 2 || ids[0] != "msg_twice" {
		t.Fatalf("its input items: %v", ids)
	}
}

// TestARecordedRequestIsWhatItsClientSent: the items a response's
// references named were kept in a member _referenced_items added to its
// recorded request body, which the history API, its export, the CLI and the
// dashboard then showed as if the client had sent it. They are kept beside
// the body: every read of the record returns the body its client sent.
func TestARecordedRequestIsWhatItsClientSent(t *testing.T) {
	storetest.EachBackend(t, testARecordedRequestIsWhatItsClientSent)
}

func testARecordedRequestIsWhatItsClientSent(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	answeredResponse(t, e, `{"model":"gpt-5","input":[{"type":"message","id":"msg_src","role":"user","content":"My favourite colour is vermilion."}]}`)
	sent := `{"model":"gpt-5","input":[{"type":"item_reference","id":"msg_src"},{"role":"user","content":"Which colour?"}]}`
	id, _ := answeredResponse(t, e, sent)
	same := func(where string, got json.RawMessage) {
		t.Helper()
		var a, b bytes.Buffer
		if err := json.Compact(&a, got); err != nil {
			t.Fatalf("%s: %v: %s", where, err, got)
		}
		_ = json.Compact(&b, []byte(sent))
		if a.String() != b.String() {
			t.Fatalf("%s: the request body is\n%s\nits client sent\n%s", where, a.String(), b.String())
		}
	}
	var detail struct {
		OpenAIRequest json.RawMessage `json:"openai_request"`
	}
	if err := json.Unmarshal([]byte(fetch(t, e, "/v1/requests/"+requestIDOf(id))), &detail); err != nil {
		t.Fatal(err)
	}
	same("GET /v1/requests/{id}", detail.OpenAIRequest)
	found := false
	for _, line := range strings.Split(strings.TrimSpace(fetch(t, e, "/v1/export?format=jsonl")), "\n") {
		var rec struct {
			RequestID     string          `json:"request_id"`
			OpenAIRequest json.RawMessage `json:"openai_request"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("export line %s: %v", line, err)
		}
		if rec.RequestID == requestIDOf(id) {
			found = true
			same("the export", rec.OpenAIRequest)
		}
	}
	if !found {
		t.Fatal("the export has not the call")
	}
	// Its input items are still the item the reference named.
	if ids := listedIDs(t, e, "/v1/responses/"+id+"/input_items?order=asc"); len(ids) != 2 || ids[0] != "msg_src" {
		t.Fatalf("its input items: %v", ids)
	}
}
