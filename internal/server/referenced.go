package server

import (
	"bytes"
	"encoding/json"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
)

// referencedMember is the member a Responses call's record adds to its
// request body: the items its item_reference items named when it was
// answered, by the ids they named, as GET …/input_items listed them then
// (an object of id → item). Its input items are listed from it, and a new
// chat told its response again is told them, rather than from the
// responses and conversations they were found in, which their owner may
// delete since: the record of a call is its own. Qwen is sent the body
// without it.
const referencedMember = "_referenced_items"

// withReferenced is body, a Responses request as the client sent it, with
// the items its references named (referenced, each its listed JSON) as its
// last member (referencedMember), which a read of the record takes (the
// last of a name wins). A body without references is kept as sent, unless
// it holds the member's name as written (recordedReferences reads only
// that): then an empty one is added, so that a client cannot give its
// record items it never named.
func withReferenced(body []byte, referenced map[string]json.RawMessage) []byte {
	if len(referenced) == 0 && !bytes.Contains(body, []byte(`"`+referencedMember+`"`)) {
		return body
	}
	member, err := json.Marshal(referenced)
	if err != nil || len(referenced) == 0 {
		member = []byte("{}")
	}
	end := bytes.LastIndexByte(body, '}')
	if end < 0 {
		return body
	}
	out := make([]byte, 0, len(body)+len(member)+len(referencedMember)+4)
	out = append(out, bytes.TrimRight(body[:end], " \t\r\n")...)
	if !bytes.HasSuffix(out, []byte("{")) {
		out = append(out, ',')
	}
	out = append(out, `"`+referencedMember+`":`...)
	out = append(out, member...)
	return append(out, body[end:]...)
}

// recordedReferences are the items a recorded request's references named
// when it was answered (withReferenced), by the ids they named; nil for a
// record made before they were kept, or of a request without references.
func recordedReferences(body []byte) map[string]json.RawMessage {
	if !bytes.Contains(body, []byte(`"`+referencedMember+`"`)) {
		return nil
	}
	var kept struct {
		Referenced json.RawMessage `json:"_referenced_items"` // the last one: withReferenced's
	}
	var out map[string]json.RawMessage
	if json.Unmarshal(body, &kept) != nil || json.Unmarshal(kept.Referenced, &out) != nil {
		return nil
	}
	return out
}

// keptFirst is lookup, for the references of the recorded request body:
// an item the record kept (recordedReferences) is that item, whatever
// lookup would find now; one it did not keep (a record made before they
// were kept) is lookup's. nil stays nil: references not followed.
func keptFirst(body []byte, lookup responses.ItemLookup) responses.ItemLookup {
	kept := recordedReferences(body)
	if lookup == nil || kept == nil {
		return lookup
	}
	return func(id string) (*responses.Item, *openai.Error) {
		if raw, ok := kept[id]; ok {
			var it responses.Item
			if json.Unmarshal(raw, &it) == nil {
				return &it, nil
			}
		}
		return lookup(id)
	}
}

// withKeptItems are a recorded request's input items (items, as sent) with
// each reference its record kept the item of (recordedReferences) replaced
// by that item, as listed: told again to a new chat as it was answered.
func withKeptItems(items []json.RawMessage, body []byte) []json.RawMessage {
	kept := recordedReferences(body)
	if kept == nil {
		return items
	}
	out := make([]json.RawMessage, len(items))
	for i, raw := range items {
		out[i] = raw
		var it responses.Item
		if json.Unmarshal(raw, &it) != nil || !it.Reference() {
			continue
		}
		if listed, ok := kept[it.ID]; ok {
			out[i] = listed
		}
	}
	return out
}
