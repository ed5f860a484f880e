package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	qp "qwenproxy"
	"qwenproxy/internal/auth"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
)

// listedItem is one item of a conversation as its listing has it.
type listedItem struct {
	id string
	// made is the id the proxy listed an item sent with its own under
	// before it kept the client's (madeInputItems), "" for another.
	made string
	raw  json.RawMessage
	// entry is the index of the entry it comes from.
	entry int
	// sent: Qwen's chat has been told it (a response's item, or an item
	// added before the conversation's last response).
	sent bool
}

// lastResponseEntry is the index of the last response among entries, -1
// when there is none: the items after it are the ones Qwen has not been
// sent.
func lastResponseEntry(entries []qp.ConversationEntry) int {
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].ResponseID != "" {
			return i
		}
	}
	return -1
}

// conversationResponse is the recorded call of a response entry and its
// request; nil when the call is no longer recorded, or kept without its
// bodies, and the request nil when it was stored cut (over
// RECORD_MAX_BODY_BYTES). Its response object need not be served: one its owner deleted
// stays in the conversation, as the conversation's items are its own.
func (s *Server) conversationResponse(ctx context.Context, e qp.ConversationEntry) (*qp.RequestRecord, *responses.Request, *openai.Error) {
	rec, err := s.recordedCall(ctx, e.ID)
	if errors.Is(err, qp.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		s.log.Error("read a conversation's response", "err", err)
		return nil, nil, conversationUnavailable("read")
	}
	if rec.APIKeyID != auth.FromContext(ctx).KeyID || rec.Response == nil || len(rec.OpenAIRequest) == 0 || len(rec.Response.OpenAIResponse) == 0 {
		return nil, nil, nil
	}
	var req responses.Request
	if storedCut(rec.OpenAIRequest) || json.Unmarshal(rec.OpenAIRequest, &req) != nil {
		return rec, nil, nil // its output stands without it
	}
	return rec, &req, nil
}

// responseOutput is a recorded response's output items (none when it was
// stored cut).
func responseOutput(rec *qp.RequestRecord) []json.RawMessage {
	if storedCut(rec.Response.OpenAIResponse) {
		return nil
	}
	var resp struct {
		Output []json.RawMessage `json:"output"`
	}
	_ = json.Unmarshal(rec.Response.OpenAIResponse, &resp)
	return resp.Output
}

// conversationEntries is the caller's conversation of the path's
// conversation_id, with its entries.
func (s *Server) conversationEntries(ctx context.Context, id string) (*qp.ConversationObject, []qp.ConversationEntry, *openai.Error) {
	c, apiErr := s.conversation(ctx, id, "conversation_id")
	if apiErr != nil {
		return nil, nil, apiErr
	}
	entries, err := s.deps.Conversations.ConversationEntries(ctx, c.ID)
	if err != nil {
		s.log.Error("read conversation entries", "err", err)
		return nil, nil, conversationUnavailable("read")
	}
	return c, entries, nil
}

// listConversationItems serves GET /v1/conversations/{id}/items: a page of
// limit items (1–100, 20 by default) after the one after names, newest
// first unless order=asc. include is accepted without effect.
func (s *Server) listConversationItems(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, desc, apiErr := listParams(q)
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	_, entries, apiErr := s.conversationEntries(r.Context(), r.PathValue("id"))
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	cr := s.conversationReader(r.Context(), entries)
	after := q.Get("after")
	if after != "" {
		// An id the proxy made before it kept the client's names the
		// item listed under the client's.
		it, apiErr := cr.find(after)
		if apiErr != nil { // the database's failure: not an item not found
			writeErrorFor(w, r, apiErr)
			return
		}
		if it != nil {
			after = it.id
		}
	}
	page, more, apiErr := cr.page(desc, after, limit)
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	writeJSON(w, http.StatusOK, itemList(page, more))
}

// itemList is a list object of items.
func itemList(items []listedItem, more bool) map[string]any {
	data := make([]json.RawMessage, len(items))
	for i, it := range items {
		data[i] = it.raw
	}
	list := map[string]any{"object": "list", "data": data, "has_more": more, "first_id": nil, "last_id": nil}
	if len(items) > 0 {
		list["first_id"], list["last_id"] = items[0].id, items[len(items)-1].id
	}
	return list
}

// addConversationItems serves POST /v1/conversations/{id}/items: up to 20
// items added after the conversation's last, answered as a list of them.
// They are sent to Qwen with the next response in the conversation.
func (s *Server) addConversationItems(w http.ResponseWriter, r *http.Request) {
	var req, kept struct {
		Items json.RawMessage `json:"items"`
	}
	if apiErr := s.conversationBody(w, r, &req, &kept); apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	if openai.IsNull(req.Items) {
		writeErrorFor(w, r, openai.InvalidRequest("items", "missing_required_parameter", "items is required"))
		return
	}
	c, apiErr := s.conversation(r.Context(), r.PathValue("id"), "conversation_id")
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	entries, apiErr := s.newItemEntries(r.Context(), c.ID, req.Items, kept.Items, true, s.now())
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	// Not while a response runs: added under it, they would be listed
	// before it and never sent.
	held, apiErr := s.lockConversation(r.Context(), c)
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	err := s.deps.Conversations.AddConversationEntries(r.Context(), c.ID, entries)
	held.unlockAfter(err)
	if err != nil {
		s.log.Error("add conversation items", "err", err)
		writeErrorFor(w, r, conversationUnavailable("added to"))
		return
	}
	// Listed as the conversation lists them: read with the entries
	// before them, which their item_reference items may name by the ids
	// clients gave them.
	all, err := s.deps.Conversations.ConversationEntries(r.Context(), c.ID)
	if err != nil {
		s.log.Error("read conversation entries", "err", err)
		all = entries
	}
	ours := map[string]bool{}
	for _, e := range entries {
		ours[e.ID] = true
	}
	cr := s.conversationReader(r.Context(), all)
	var added []listedItem
	for i, e := range all {
		if !ours[e.ID] {
			continue
		}
		items, apiErr := cr.items(i)
		if apiErr != nil {
			writeErrorFor(w, r, apiErr)
			return
		}
		added = append(added, items...)
	}
	writeJSON(w, http.StatusOK, itemList(added, false))
}

// getConversationItem serves GET /v1/conversations/{id}/items/{item_id}.
func (s *Server) getConversationItem(w http.ResponseWriter, r *http.Request) {
	_, entries, apiErr := s.conversationEntries(r.Context(), r.PathValue("id"))
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	it, apiErr := s.conversationReader(r.Context(), entries).find(r.PathValue("item"))
	if apiErr == nil && it == nil {
		apiErr = itemNotFound(r.PathValue("item"))
	}
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	writeBody(w, http.StatusOK, it.raw)
}

// deleteConversationItem serves DELETE /v1/conversations/{id}/items/{item_id}
// for an item Qwen has not been sent (added since the conversation's last
// response), answered with the conversation. An item Qwen's chat has been
// sent is a 400: the chat keeps it, and the model would go on seeing an
// item the listing no longer showed.
func (s *Server) deleteConversationItem(w http.ResponseWriter, r *http.Request) {
	c, apiErr := s.conversation(r.Context(), r.PathValue("id"), "conversation_id")
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	// Held, so that no response sends the item while it is deleted.
	held, apiErr := s.lockConversation(r.Context(), c)
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	defer held.unlock()
	_, entries, apiErr := s.conversationEntries(r.Context(), c.ID)
	if apiErr != nil {
		if apiErr.Status == http.StatusServiceUnavailable {
			held.unlockAfter(qp.ErrStoreUnavailable)
		}
		writeErrorFor(w, r, apiErr)
		return
	}
	id := r.PathValue("item")
	it, apiErr := s.conversationReader(r.Context(), entries).find(id)
	if apiErr == nil && it == nil {
		apiErr = itemNotFound(id)
	}
	if apiErr != nil {
		if apiErr.Status == http.StatusServiceUnavailable {
			held.unlockAfter(qp.ErrStoreUnavailable)
		}
		writeErrorFor(w, r, apiErr)
		return
	}
	if it.sent {
		writeErrorFor(w, r, openai.InvalidRequest("item_id", "item_already_sent",
			"Item '%s' cannot be deleted: it has been sent to the conversation's Qwen chat, which keeps it, so the model would still see it. "+
				"Only items added since the conversation's last response can be deleted; delete the conversation to drop it all.", clip(id)))
		return
	}
	if err := s.deps.Conversations.DeleteConversationEntry(r.Context(), c.ID, entries[it.entry].ID); err != nil && !errors.Is(err, qp.ErrNotFound) {
		s.log.Error("delete conversation item", "err", err)
		held.unlockAfter(err)
		writeErrorFor(w, r, conversationUnavailable("changed"))
		return
	}
	writeJSON(w, http.StatusOK, conversationObject(c))
}

// itemNotFound is the 404 for an item a conversation has not.
func itemNotFound(id string) *openai.Error {
	return &openai.Error{Status: http.StatusNotFound, Type: openai.TypeInvalidRequest, Param: "item_id", Code: "not_found",
		Message: fmt.Sprintf("Item with id '%s' not found.", clip(id))}
}

// listParams reads a list's limit (1–100, 20 by default) and order (desc
// by default).
func listParams(q url.Values) (limit int, desc bool, _ *openai.Error) {
	limit = 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return 0, false, openai.InvalidRequest("limit", "invalid_value", "limit must be an integer from 1 to 100, not %q", v)
		}
		limit = n
	}
	order := q.Get("order")
	if order != "" && order != "asc" && order != "desc" {
		return 0, false, openai.InvalidRequest("order", "invalid_value", "order must be asc or desc")
	}
	return limit, order != "asc", nil
}

// pageOf is the page of items (oldest first) in order, of at most limit,
// after the one named after ("" for the first page); more tells whether
// more follow. of names what after must be an item of.
func pageOf[T any](items []T, id func(T) string, desc bool, after string, limit int, of string) (page []T, more bool, _ *openai.Error) {
	items = slices.Clone(items)
	if desc {
		slices.Reverse(items)
	}
	if after != "" {
		i := slices.IndexFunc(items, func(it T) bool { return id(it) == after })
		if i < 0 {
			return nil, false, openai.InvalidRequest("after", "invalid_value", "after names no item of this %s: %q", of, after)
		}
		items = items[i+1:]
	}
	if more = len(items) > limit; more {
		items = items[:limit]
	}
	return items, more, nil
}
