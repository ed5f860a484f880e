package responses

import (
	"bytes"
	"encoding/json"
)

// MaxIndexedItemID bounds the length of an item id a store indexes
// (OwnItemIDs): OpenAI's ids are a few dozen characters; a longer one is
// not indexed (a btree key has a bound of its own).
const MaxIndexedItemID = 512

// OwnItemIDs are the ids a recorded Responses API request body (body, as
// the record keeps it: secrets redacted) gave its input items itself — the
// ids its items are listed under and an item_reference names them by
// (OpenAI keeps a client's id) — each once, in input order. None for a
// request whose response is not kept (store false, but in the background),
// for a body stored cut, or for an input that is a string; an
// item_reference is not an item of the request's own, nor is an id over
// MaxIndexedItemID bytes.
func OwnItemIDs(body []byte) []string {
	if len(body) == 0 || bytes.HasPrefix(body, []byte(`{"_truncated":true,`)) {
		return nil
	}
	var req struct {
		Input      json.RawMessage `json:"input"`
		Store      *bool           `json:"store"`
		Background *bool           `json:"background"`
	}
	if json.Unmarshal(body, &req) != nil || req.Store != nil && !*req.Store && (req.Background == nil || !*req.Background) {
		return nil
	}
	var items []struct {
		Type    string          `json:"type"`
		ID      any             `json:"id"`
		Role    any             `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if json.Unmarshal(req.Input, &items) != nil {
		// A string, or items of the wrong types (the request was refused).
		return nil
	}
	var ids []string
	seen := map[string]bool{}
	for _, it := range items {
		id, _ := it.ID.(string)
		role, _ := it.Role.(string)
		reference := it.Type == "item_reference" || it.Type == "" && role == "" && (len(it.Content) == 0 || string(it.Content) == "null")
		if id == "" || reference || len(id) > MaxIndexedItemID || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids
}
