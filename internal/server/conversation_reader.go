package server

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
)

// conversationReader reads a conversation's items entry by entry, each
// entry once, and only the entries a call needs: a page of the listing, or
// one item, reads its own entries rather than every response of a long
// conversation.
type conversationReader struct {
	s       *Server
	ctx     context.Context
	entries []qp.ConversationEntry
	last    int // lastResponseEntry
	lookup  responses.ItemLookup
	read    map[int][]listedItem
}

func (s *Server) conversationReader(ctx context.Context, entries []qp.ConversationEntry) *conversationReader {
	return &conversationReader{s: s, ctx: ctx, entries: entries, last: lastResponseEntry(entries), lookup: s.listedItems(ctx), read: map[int][]listedItem{}}
}

// items are entry i's items, oldest first: an added item as listed (the
// input_items conversion, under an id made from its entry's), a response's
// input items then its output items, as GET …/input_items and GET
// /v1/responses/{id} serve them. A response whose call is no longer
// recorded (retention deleted it) has none.
func (cr *conversationReader) items(i int) ([]listedItem, *openai.Error) {
	if items, ok := cr.read[i]; ok {
		return items, nil
	}
	e := cr.entries[i]
	var out []listedItem
	add := func(raw json.RawMessage, made string) {
		var head struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &head) // the proxy's own JSON
		out = append(out, listedItem{id: head.ID, made: made, raw: raw, entry: i, sent: i <= cr.last})
	}
	lookup := cr.before(i)
	var listed []responses.InputItem
	var made, placed []string
	var apiErr *openai.Error // a database's failure to read an item_reference: not an item left out
	if e.ResponseID == "" {
		req := responses.Request{Input: json.RawMessage("[" + string(e.Item) + "]")}
		if listed, made, placed, apiErr = placedInputItems(&req, e.ID, lookup); apiErr != nil {
			return nil, apiErr
		}
	}
	var rec *qp.RequestRecord
	if e.ResponseID != "" {
		if rec, _, apiErr = cr.s.conversationResponse(cr.ctx, e); apiErr != nil {
			return nil, apiErr
		}
		if rec != nil {
			if listed, made, placed, apiErr = recordedPlacedInputItems(rec, lookup); apiErr != nil {
				return nil, apiErr
			}
		}
	}
	for k, it := range listed {
		// An id listed already (a client's id sent again, an
		// item_reference to an item of the conversation) names the first
		// item listed under it; this one is listed under the id made from
		// its place, so that after, which names one item, pages past each.
		if it.ID != placed[k] {
			again, apiErr := cr.listedBefore(i, out, it.ID)
			if apiErr != nil {
				return nil, apiErr
			}
			if again {
				it.ID = placed[k]
			}
		}
		add(marshalResponse(it), made[k])
	}
	if rec != nil {
		for _, it := range responseOutput(rec) {
			add(it, "")
		}
	}
	cr.read[i] = out
	return out, nil
}

// listedBefore reports whether id is listed already: by an item of the
// entries before entry i, or of sofar (entry i's items before the one
// asked about). The entry a made id names is looked in first: an id found
// there costs that entry's read, another every earlier entry's.
func (cr *conversationReader) listedBefore(i int, sofar []listedItem, id string) (bool, *openai.Error) {
	has := func(items []listedItem) bool {
		return slices.ContainsFunc(items, func(it listedItem) bool { return it.id == id })
	}
	if has(sofar) {
		return true, nil
	}
	named := cr.entryOf(id)
	if named >= 0 && named < i {
		items, apiErr := cr.items(named)
		if apiErr != nil || has(items) {
			return apiErr == nil, apiErr
		}
	}
	for j := i - 1; j >= 0; j-- {
		if j == named {
			continue
		}
		items, apiErr := cr.items(j)
		if apiErr != nil {
			return false, apiErr
		}
		if has(items) {
			return true, nil
		}
	}
	return false, nil
}

// before is the lookup of entry i's item_reference items: an id the proxy
// made, cr.lookup (which finds it where it was made); one a client gave,
// the item of the entries before it listed under it, then cr.lookup (an
// item of another conversation or response). A client's id may have been
// sent again, with another item, in an entry after i: cr.lookup, which
// finds the latest that carried it, would name that one, where the id
// names the first (listedBefore). An entry names only items before it:
// reading them never comes back to it.
func (cr *conversationReader) before(i int) responses.ItemLookup {
	return func(id string) (*responses.Item, *openai.Error) {
		if madeID(id) {
			return cr.lookup(id)
		}
		if it, apiErr := cr.listedIn(i, id); it != nil || apiErr != nil {
			return it, apiErr
		}
		return cr.lookup(id)
	}
}

// listedIn is the item of the entries before entry i listed under id, nil
// for none.
func (cr *conversationReader) listedIn(i int, id string) (*responses.Item, *openai.Error) {
	for j := i - 1; j >= 0; j-- {
		items, apiErr := cr.items(j)
		if apiErr != nil {
			return nil, apiErr
		}
		for _, listed := range items {
			var it responses.Item
			if listed.id == id && json.Unmarshal(listed.raw, &it) == nil {
				return &it, nil
			}
		}
	}
	return nil, nil
}

// all are every entry's items, oldest first.
func (cr *conversationReader) all() ([]listedItem, *openai.Error) {
	var out []listedItem
	for i := range cr.entries {
		items, apiErr := cr.items(i)
		if apiErr != nil {
			return nil, apiErr
		}
		out = append(out, items...)
	}
	return out, nil
}

// entryOf is the index of the entry an item id made by the proxy names (its
// 32 hex digits are its entry's: an added item's UUID, a response's request
// id), -1 for another id (an item listed under its own: a reasoning item
// sent with one, an item_reference's).
func (cr *conversationReader) entryOf(id string) int {
	if !madeID(id) {
		return -1
	}
	_, rest, _ := strings.Cut(id, "_")
	hex := rest[:32]
	return slices.IndexFunc(cr.entries, func(e qp.ConversationEntry) bool { return strings.ReplaceAll(e.ID, "-", "") == hex })
}

// madeID reports whether id has the form of an id the proxy made: a
// prefix, "_", then 32 hex digits (an entry's or a call's UUID), perhaps
// more after them (responses.InputID).
func madeID(id string) bool {
	_, rest, _ := strings.Cut(id, "_")
	if len(rest) < 32 {
		return false
	}
	for _, c := range rest[:32] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// find is the item id names, or nil: looked for in the entry its id names
// first, then everywhere.
func (cr *conversationReader) find(id string) (*listedItem, *openai.Error) {
	has := func(items []listedItem) *listedItem {
		if j := slices.IndexFunc(items, func(it listedItem) bool { return it.id == id }); j >= 0 {
			return &items[j]
		}
		// An id the proxy made before it kept the client's.
		if j := slices.IndexFunc(items, func(it listedItem) bool { return it.made == id }); j >= 0 {
			return &items[j]
		}
		return nil
	}
	if i := cr.entryOf(id); i >= 0 {
		items, apiErr := cr.items(i)
		if apiErr != nil {
			return nil, apiErr
		}
		if it := has(items); it != nil {
			return it, nil
		}
	}
	items, apiErr := cr.all()
	if apiErr != nil {
		return nil, apiErr
	}
	return has(items), nil
}

// page is a page of at most limit items in order (newest first when desc),
// after the item after names ("" for the first page), reading the entries
// from after's on until the page is full; more tells whether more follow.
func (cr *conversationReader) page(desc bool, after string, limit int) ([]listedItem, bool, *openai.Error) {
	order := make([]int, len(cr.entries))
	for i := range order {
		order[i] = i
	}
	if desc {
		slices.Reverse(order)
	}
	inOrder := func(i int) ([]listedItem, *openai.Error) {
		items, apiErr := cr.items(i)
		if desc {
			items = slices.Clone(items)
			slices.Reverse(items)
		}
		return items, apiErr
	}
	var page []listedItem
	next := 0 // the next entry of order to read
	if after != "" {
		i := cr.entryOf(after)
		k := slices.Index(order, i)
		var items []listedItem
		if k >= 0 {
			var apiErr *openai.Error
			if items, apiErr = inOrder(i); apiErr != nil {
				return nil, false, apiErr
			}
		}
		j := slices.IndexFunc(items, func(it listedItem) bool { return it.id == after })
		if j < 0 { // not where its id says: look everywhere
			all, apiErr := cr.all()
			if apiErr != nil {
				return nil, false, apiErr
			}
			return pageOf(all, func(it listedItem) string { return it.id }, desc, after, limit, "conversation")
		}
		page, next = append(page, items[j+1:]...), k+1
	}
	for ; next < len(order) && len(page) <= limit; next++ {
		items, apiErr := inOrder(order[next])
		if apiErr != nil {
			return nil, false, apiErr
		}
		page = append(page, items...)
	}
	more := len(page) > limit
	if more {
		page = page[:limit]
	}
	return page, more, nil
}
