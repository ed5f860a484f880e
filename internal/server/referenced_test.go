package server

import (
	"encoding/json"
	"testing"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
)

// The items a record keeps its references' items in are read back by the
// ids they named; a record without them (made before, or of a request
// without references) keeps lookup's answer, and a nil lookup stays nil.
func TestTheReferencedItemsARecordKeepsAreReadBack(t *testing.T) {
	item := json.RawMessage(`{"id":"msg_a","type":"message","role":"user","content":[{"type":"input_text","text":"real"}]}`)
	if referencedItems(nil) != nil {
		t.Fatal("no references, something kept")
	}
	kept := referencedItems(map[string]json.RawMessage{"msg_a": item})
	looked := 0
	lookup := func(id string) (*responses.Item, *openai.Error) {
		looked++
		return &responses.Item{ID: id}, nil
	}
	it, _ := keptFirst(kept, lookup)("msg_a")
	if it == nil || it.ID != "msg_a" || looked != 0 || string(it.Content) == "" {
		t.Fatalf("kept msg_a read as %+v, lookups %d", it, looked)
	}
	if it, _ := keptFirst(kept, lookup)("msg_b"); it == nil || looked != 1 {
		t.Fatalf("msg_b, not kept, was not looked up: %+v", it)
	}
	if it, _ := keptFirst(nil, lookup)("msg_a"); it == nil || looked != 2 {
		t.Fatal("a record without kept items did not look up")
	}
	if keptFirst(kept, nil) != nil {
		t.Fatal("a nil lookup became one")
	}
	items := withKeptItems([]json.RawMessage{json.RawMessage(`{"type":"item_reference","id":"msg_a"}`), json.RawMessage(`{"role":"user","content":"hi"}`)}, kept)
	if string(items[0]) != string(item) || string(items[1]) != `{"role":"user","content":"hi"}` {
		t.Fatalf("told again: %s", items)
	}
}
