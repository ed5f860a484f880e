package server

import (
	"encoding/json"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
)

// A Responses call's record keeps the items its item_reference items named
// when it was answered, by the ids they named, as GET …/input_items listed
// them then (an object of id → item): its input items are listed from them,
// and a new chat told its response again is told them, rather than from the
// responses and conversations they were found in, which their owner may
// delete since: the record of a call is its own. They are kept beside its
// request body (Request.ReferencedItems, a store's table of their own), not
// in it: the body is what the client sent, which every read of the history
// returns. Qwen is sent the request as before.

// referencedItems is the JSON a record keeps the items referenced named in
// (Request.ReferencedItems), nil for none.
func referencedItems(referenced map[string]json.RawMessage) []byte {
	if len(referenced) == 0 {
		return nil
	}
	out, err := json.Marshal(referenced)
	if err != nil {
		return nil // each item is JSON the proxy listed: cannot fail
	}
	return out
}

// recordedReferences are the items a recorded request's references named
// when it was answered (kept: its record's ReferencedItems), by the ids
// they named; nil for a record made before they were kept, or of a request
// without references.
func recordedReferences(kept json.RawMessage) map[string]json.RawMessage {
	if len(kept) == 0 {
		return nil
	}
	var out map[string]json.RawMessage
	if json.Unmarshal(kept, &out) != nil {
		return nil
	}
	return out
}

// keptFirst is lookup, for the references of a recorded request whose
// record kept the items they named (kept: its ReferencedItems): an item the
// record kept is that item, whatever lookup would find now; one it did not
// keep (a record made before they were kept) is lookup's. nil stays nil:
// references not followed.
func keptFirst(kept json.RawMessage, lookup responses.ItemLookup) responses.ItemLookup {
	items := recordedReferences(kept)
	if lookup == nil || items == nil {
		return lookup
	}
	return func(id string) (*responses.Item, *openai.Error) {
		if raw, ok := items[id]; ok {
			var it responses.Item
			if json.Unmarshal(raw, &it) == nil {
				return &it, nil
			}
		}
		return lookup(id)
	}
}

// withKeptItems are a recorded request's input items (items, as sent) with
// each reference its record kept the item of (kept: its ReferencedItems)
// replaced by that item, as listed: told again to a new chat as it was
// answered.
func withKeptItems(items []json.RawMessage, kept json.RawMessage) []json.RawMessage {
	listed := recordedReferences(kept)
	if listed == nil {
		return items
	}
	out := make([]json.RawMessage, len(items))
	for i, raw := range items {
		out[i] = raw
		var it responses.Item
		if json.Unmarshal(raw, &it) != nil || !it.Reference() {
			continue
		}
		if item, ok := listed[it.ID]; ok {
			out[i] = item
		}
	}
	return out
}
