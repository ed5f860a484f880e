package responses

import (
	"strconv"

	"qwenproxy/internal/httpjson"
	"qwenproxy/internal/jsonw"
)

// Events numbers and encodes one response's stream events: each is
// "event: <type>" and its JSON data, which carries the type and the
// sequence_number too, as OpenAI sends them.
type Events struct{ seq int }

// Encode returns the event typ with fields (which must not hold "type": it
// comes first).
func (e *Events) Encode(typ string, fields map[string]any) []byte {
	fields["sequence_number"] = e.seq
	e.seq++
	b := make([]byte, 0, 160)
	b = append(b, "event: "...)
	b = append(b, typ...)
	b = append(b, "\ndata: {\"type\":"...)
	b = jsonw.String(b, typ)
	// As OpenAI writes it, without escaping <, > and &: the echoed
	// instructions and tools keep the request's bytes (stored once with
	// the request's, internal/store/bodies).
	j, _ := httpjson.Marshal(fields) // the package's own types: cannot fail
	b = append(b, ',')
	b = append(b, j[1:]...)
	return append(b, "\n\n"...)
}

// Response wraps a response-level event (created, in_progress, completed,
// failed).
func (e *Events) Response(typ string, r *Response) []byte {
	return e.Encode(typ, map[string]any{"response": r})
}

// ItemAdded and ItemDone open and close output item index.
func (e *Events) ItemAdded(index int, item OutputItem) []byte {
	return e.Encode("response.output_item.added", map[string]any{"output_index": index, "item": item})
}

// ItemDone closes output item index with its final form.
func (e *Events) ItemDone(index int, item OutputItem) []byte {
	return e.Encode("response.output_item.done", map[string]any{"output_index": index, "item": item})
}

// Part is an event about part 0 of item id (content or summary).
func (e *Events) Part(typ, id string, index int, fields map[string]any) []byte {
	fields["item_id"], fields["output_index"] = id, index
	return e.Encode(typ, fields)
}

// ID makes an item id from the response's and the item's index.
func ID(prefix, responseHex string, index int) string {
	return prefix + "_" + responseHex + strconv.Itoa(index)
}

// InputID is the id of a response's index-th input item, as
// /input_items lists them: never one of its output items' (ID), which end in
// the index right after the hex.
func InputID(prefix, responseHex string, index int) string {
	return prefix + "_" + responseHex + "in" + strconv.Itoa(index)
}
