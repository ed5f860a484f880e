package responses

import (
	"bytes"
	"encoding/json"
	"strings"

	"qwenproxy/internal/jsonscan"
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
//
// It runs on the recorder's write path for every Responses call, an
// agent's body hundreds of KB: nothing is decoded but the top-level store
// and background and each item's type, id and role (jsonscan: a value's
// bounds found, not its grammar; names matched as json.Unmarshal matches
// them, the last of a name winning), and for store false (Codex sends it,
// and its whole history, every turn) the items are not walked at all. The
// body is one the request's decoder read already: what that refused is
// never recorded with a 200 (ownItemIDs).
func OwnItemIDs(body []byte) []string {
	if len(body) == 0 || bytes.HasPrefix(body, []byte(`{"_truncated":true,`)) {
		return nil
	}
	var input json.RawMessage
	store, background := "", "" // the values as written, the last one of each name
	if !jsonscan.EachField(body, func(name string, v json.RawMessage) bool {
		switch {
		case strings.EqualFold(name, "input"):
			input = v
		case strings.EqualFold(name, "store"):
			store = string(v)
		case strings.EqualFold(name, "background"):
			background = string(v)
		}
		return true
	}) {
		return nil
	}
	switch {
	case !boolOrNull(store) || !boolOrNull(background):
		return nil // refused when it was made
	case store == "false" && background != "true":
		return nil // no response kept
	case len(input) == 0 || input[0] != '[':
		return nil // none, null, or a string
	}
	var ids []string
	var seen map[string]bool
	ok := jsonscan.EachElement(input, func(el []byte) bool {
		if string(el) == "null" {
			return true // json.Unmarshal's zero item: no id
		}
		id, own, ok := ownItemID(el)
		if !ok {
			return false
		}
		if !own || id == "" || len(id) > MaxIndexedItemID || seen[id] {
			return true
		}
		if seen == nil {
			seen = map[string]bool{}
		}
		seen[id] = true
		ids = append(ids, id)
		return true
	})
	if !ok {
		return nil // items of the wrong types: the request was refused
	}
	return ids
}

// boolOrNull reports whether v, a value as written ("" for none), is one
// json.Unmarshal takes into a *bool.
func boolOrNull(v string) bool {
	return v == "" || v == "true" || v == "false" || v == "null"
}

// ownItemID reads the input item el (an object, as written) for its id and
// whether it is an item of the request's own (not an item_reference, typed
// or of only an id): its type, id and role, the last of each name; its
// content only for whether it is there. ok is false where json.Unmarshal
// would refuse it as an item (not an object, a type that is no string).
func ownItemID(el []byte) (id string, own, ok bool) {
	var typ, rawID, role, content []byte
	if !jsonscan.EachField(el, func(name string, v json.RawMessage) bool {
		switch {
		case strings.EqualFold(name, "type"):
			typ = v
		case strings.EqualFold(name, "id"):
			rawID = v
		case strings.EqualFold(name, "role"):
			role = v
		case strings.EqualFold(name, "content"):
			content = v
		}
		return true
	}) {
		return "", false, false
	}
	kind := ""
	switch {
	case typ == nil || string(typ) == "null":
	case typ[0] != '"':
		return "", false, false
	case bytes.IndexByte(typ, '\\') < 0:
		// Compared as written: no copy of every item's type.
		if string(typ) == `"item_reference"` {
			kind = "item_reference"
		} else if len(typ) > 2 {
			kind = "other"
		}
	case !jsonscan.DecodeString(typ, &kind):
		return "", false, false
	}
	// A role that is a string of at least one character (an escape is
	// one): any other value is json.Unmarshal's "" for an any.
	hasRole := len(role) > 2 && role[0] == '"'
	reference := kind == "item_reference" || kind == "" && !hasRole && (content == nil || string(content) == "null")
	if rawID == nil || rawID[0] != '"' {
		return "", !reference, true // no id, or one that is no string
	}
	if !jsonscan.DecodeString(rawID, &id) {
		return "", false, false
	}
	return id, !reference, true
}
