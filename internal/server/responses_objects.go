package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/auth"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
)

// The Responses API's objects are the recorded calls themselves: a resp_ id
// names the call it was answered by, so GET serves its recorded body. A key
// sees only the responses it made; responses asked with store:false (after
// backgroundPolling, when they ran in the background), whose bodies were not
// recorded, or that their owner deleted are not found.

// getResponseObject serves GET /v1/responses/resp_…. stream=true, which
// OpenAI serves for a response still running in the background, is refused:
// no response runs in the background here, and the SDKs read a JSON answer
// to it as a stream of no events, without an error.
func (s *Server) getResponseObject(w http.ResponseWriter, r *http.Request) {
	if v := r.URL.Query().Get("stream"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			writeErrorFor(w, r, openai.InvalidRequest("stream", "invalid_value", "stream must be true or false, not %q", v))
			return
		}
		if on {
			writeErrorFor(w, r, openai.InvalidRequest("stream", "invalid_value",
				"a retrieved response is streamed only while it runs in the background, and none does here: retrieve it without stream=true"))
			return
		}
	}
	if lr := s.liveObject(r.Context(), r.PathValue("id")); lr != nil {
		writeBody(w, http.StatusOK, lr.object()) // in progress (responses_live.go)
		return
	}
	rec, apiErr := s.responseObject(r.Context(), r.PathValue("id"), true)
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	writeBody(w, http.StatusOK, rec.Response.OpenAIResponse)
}

// deleteResponseObject serves DELETE /v1/responses/resp_…: the object is no
// longer served; the recorded call stays in the history. A response still
// in progress is a 409: its call goes on and is recorded, and deleted
// before, it would be served again once recorded (OpenAI deletes only what
// it has stored; a gateway could cancel it, but none of this proxy's calls
// is cancelled from outside, see cancelResponse).
func (s *Server) deleteResponseObject(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if s.liveObject(r.Context(), id) != nil {
		writeErrorFor(w, r, responseInProgress(id))
		return
	}
	rec, apiErr := s.responseObject(r.Context(), id, true)
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	if err := s.deps.ResponseObjects.DeleteResponseObject(r.Context(), rec.RequestID, s.now()); err != nil {
		s.log.Error("delete response object", "err", err)
		writeErrorFor(w, r, &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeUnavailable, Code: "database_unavailable",
			Message: "the response could not be deleted: the database is unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "response.deleted", "deleted": true})
}

// responseInputItems serves GET /v1/responses/resp_…/input_items: the
// request's input as items, newest first unless order=asc, a page of limit
// (1–100, 20 by default) after the item after names, as OpenAI pages them.
func (s *Server) responseInputItems(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, desc, apiErr := listParams(q)
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	var items []responses.InputItem
	var made []string
	if lr := s.liveObject(r.Context(), r.PathValue("id")); lr != nil {
		// In progress: its request as its record will keep it.
		items, made, apiErr = s.liveInputItems(r.Context(), lr)
	} else {
		var rec *qp.RequestRecord
		rec, apiErr = s.responseObject(r.Context(), r.PathValue("id"), true)
		if apiErr != nil {
			writeErrorFor(w, r, apiErr)
			return
		}
		// Its references read as it was validated: along its own chain and
		// conversation too.
		var in responses.Request
		_ = json.Unmarshal(rec.OpenAIRequest, &in) // none when stored cut: no items either
		items, made, apiErr = recordedMadeInputItems(rec, s.itemLookup(r.Context(), nil, &in, nil, false))
	}
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	after := q.Get("after")
	if after != "" && !slices.ContainsFunc(items, func(it responses.InputItem) bool { return it.ID == after }) {
		if k := slices.Index(made, after); k >= 0 { // an id the proxy made before it kept the client's
			after = items[k].ID
		}
	}
	items, more, apiErr := pageOf(items, func(it responses.InputItem) string { return it.ID }, desc, after, limit, "response's input")
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	list := map[string]any{"object": "list", "data": items, "has_more": more, "first_id": nil, "last_id": nil}
	if len(items) > 0 {
		list["first_id"], list["last_id"] = items[0].ID, items[len(items)-1].ID
	} else {
		list["data"] = []responses.InputItem{}
	}
	writeJSON(w, http.StatusOK, list)
}

// responseNotFound is the 404 for a response the caller has not (or an id
// that names none).
func responseNotFound(id string) *openai.Error {
	return &openai.Error{Status: http.StatusNotFound, Type: openai.TypeInvalidRequest, Param: "response_id", Code: "not_found",
		Message: fmt.Sprintf("Response with id '%s' not found.", clip(id))}
}

// responseObject finds the recorded call behind a resp_ id made by the
// caller's key: a response, or with compacted a compacted response too
// (POST /v1/responses/compact's, whose id previous_response_id continues),
// which GET serves as it was answered, DELETE deletes and whose items an
// item_reference names; a previous_response_id chain ends at one
// (responseChain).
func (s *Server) responseObject(ctx context.Context, id string, compacted bool) (*qp.RequestRecord, *openai.Error) {
	notFound := responseNotFound(id)
	requestID, _, ok := parseResponseID(id)
	if !ok {
		return nil, notFound
	}
	rec, err := s.recordedCall(ctx, requestID) // answered a moment ago, it may still be on its way
	if errors.Is(err, qp.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, s.responseUnreadable(err)
	}
	served, apiErr := s.served(ctx, rec, compacted)
	switch {
	case apiErr != nil:
		return nil, apiErr
	case !served:
		return nil, notFound
	}
	return rec, nil
}

// responseUnreadable logs a database's failure to read a response object
// and is its 503.
func (s *Server) responseUnreadable(err error) *openai.Error {
	s.log.Error("read response object", "err", err)
	return &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeUnavailable, Code: "database_unavailable",
		Message: "the response could not be read: the database is unavailable"}
}

// served reports whether the recorded call rec is a response object (with
// compacted, or a compacted response) served to the caller: made by the
// caller's key, stored (or polled in the background), not deleted. A
// database that cannot say whether it was deleted (or does not answer
// within HISTORY_READ_TIMEOUT) is a 503, not a response not served.
func (s *Server) served(ctx context.Context, rec *qp.RequestRecord, compacted bool) (bool, *openai.Error) {
	var req struct {
		Store      *bool `json:"store"`
		Background *bool `json:"background"`
	}
	_ = json.Unmarshal(rec.OpenAIRequest, &req)
	if !servedCall(rec, compacted) || rec.APIKeyID != auth.FromContext(ctx).KeyID || !servedObject(req.Store, req.Background, rec.Timestamp, s.now()) {
		return false, nil
	}
	deleted, err := s.deps.ResponseObjects.ResponseObjectDeleted(ctx, rec.RequestID)
	if err != nil {
		return false, s.responseUnreadable(err)
	}
	return !deleted, nil
}

// compactPath is the path a compacted response's call is recorded under.
const compactPath = "/v1/responses/compact"

// servedCall reports whether rec is a call whose answer is a response
// object (with compacted, a compacted response's too).
func servedCall(rec *qp.RequestRecord, compacted bool) bool {
	want := map[string]string{"/v1/responses": "response"}[rec.Path]
	if compacted && rec.Path == compactPath {
		want = "response.compaction"
	}
	var obj struct {
		Object string `json:"object"`
	}
	return want != "" && rec.Response != nil && json.Unmarshal(rec.Response.OpenAIResponse, &obj) == nil && obj.Object == want
}

// backgroundPolling is how long OpenAI keeps a background response that
// its request does not store (store false, as Zero Data Retention projects
// run), for its polling: "about 10 minutes".
const backgroundPolling = 10 * time.Minute

// servedObject reports whether a response made at made, with the request's
// store and background, is served now: a stored one always (until it is
// deleted), one not stored only if it ran in the background, for
// backgroundPolling, as its client polls it.
func servedObject(store, background *bool, made, now time.Time) bool {
	if store == nil || *store {
		return true
	}
	return background != nil && *background && now.Sub(made) < backgroundPolling
}

// recordedInputItems are a recorded response's input items (inputItems);
// none when its request was stored cut (over RECORD_MAX_BODY_BYTES): they
// are not in the record, and the cut body read as a request listed one
// empty message.
func recordedInputItems(rec *qp.RequestRecord, lookup responses.ItemLookup) ([]responses.InputItem, *openai.Error) {
	items, _, apiErr := recordedMadeInputItems(rec, lookup)
	return items, apiErr
}

// recordedMadeInputItems is recordedInputItems with the ids the proxy made
// for them (madeInputItems).
func recordedMadeInputItems(rec *qp.RequestRecord, lookup responses.ItemLookup) ([]responses.InputItem, []string, *openai.Error) {
	out, made, _, apiErr := recordedPlacedInputItems(rec, lookup)
	return out, made, apiErr
}

// recordedPlacedInputItems is recordedMadeInputItems with the ids made from
// the items' places (placedInputItems).
func recordedPlacedInputItems(rec *qp.RequestRecord, lookup responses.ItemLookup) (out []responses.InputItem, made, placed []string, _ *openai.Error) {
	if storedCut(rec.OpenAIRequest) {
		return nil, nil, nil, nil
	}
	var req responses.Request
	_ = json.Unmarshal(rec.OpenAIRequest, &req) // validated when it was made
	// Its references read as they were when it was answered, where its
	// record kept the items they named.
	return placedInputItems(&req, rec.RequestID, keptFirst(rec.ReferencedItems, lookup))
}

// storedCut reports whether a recorded body is one stored cut over
// RECORD_MAX_BODY_BYTES (truncatedBody, its marker first).
func storedCut(body []byte) bool {
	return bytes.HasPrefix(body, []byte(`{"_truncated":true,`))
}

// sentPrefix is the prefix of the id an item taken unread is listed under
// when it was sent without one, as OpenAI's own ids of such items begin.
var sentPrefix = map[string]string{"reasoning": "rs", "image_generation_call": "ig", "web_search_call": "ws", "file_search_call": "fs",
	"code_interpreter_call": "ci", "mcp_list_tools": "mcpl", "mcp_call": "mcp", "compaction": "cmp"}

// inputItems lists a request's input as input items: each under the id it
// was sent with, as OpenAI keeps a client's id, or one made from the
// call's when it was sent without; an item_reference is listed as the item
// it names, under its id, when lookup finds it. A message's content parts
// and a call output's parts are listed each as recorded
// (responses.ListContent); reasoning items and hosted tools' calls, taken
// unread, as sent (responses.SentItem). lookup's error (a database that
// failed the read) is inputItems': the item is not left out as if it were
// not found.
func inputItems(req *responses.Request, requestID string, lookup responses.ItemLookup) ([]responses.InputItem, *openai.Error) {
	out, _, apiErr := madeInputItems(req, requestID, lookup)
	return out, apiErr
}

// madeInputItems is inputItems with, for each item listed, the id the
// proxy listed it under until 2026-12-06 when that is not the one it is
// listed under now ("" for the others): an item sent with its own id was
// listed under one made from the call's (responses.InputID), and an
// item_reference, after or a conversation item's GET and DELETE naming
// that id still find it.
func madeInputItems(req *responses.Request, requestID string, lookup responses.ItemLookup) (out []responses.InputItem, made []string, _ *openai.Error) {
	out, made, _, apiErr := placedInputItems(req, requestID, lookup)
	return out, made, apiErr
}

// placedInputItems is madeInputItems with, for each item listed, the id
// made from its place (the call's id and its index in the input), which it
// is listed under when sent without an id of its own: one no other item
// has, for a listing that must not name two items alike (a conversation's).
func placedInputItems(req *responses.Request, requestID string, lookup responses.ItemLookup) (out []responses.InputItem, made, placed []string, _ *openai.Error) {
	if openai.IsNull(req.Input) {
		// A compaction made with only previous_response_id: no input, so
		// no items (not one empty message).
		return nil, nil, nil, nil
	}
	hex := string(bytes.ReplaceAll([]byte(requestID), []byte("-"), nil))
	items, _ := req.Items()
	if raw := bytes.TrimSpace(req.Input); items == nil && raw[0] == '"' { // a string: one user message
		content, _ := responses.ListContent(req.Input, "user")
		id := responses.InputID("msg", hex, 0)
		return []responses.InputItem{{ID: id, Type: "message", Role: "user", Status: "completed", Content: &content}}, []string{""}, []string{id}, nil
	}
	var sent []json.RawMessage // the items as sent, read at the first taken unread
	for i, it := range items {
		own := it.ID
		id := func(prefix string) string {
			if own != "" {
				return own
			}
			return responses.InputID(prefix, hex, i)
		}
		referenced := it.Reference()
		if referenced {
			var stored *responses.Item
			if lookup != nil {
				var apiErr *openai.Error
				if stored, apiErr = lookup(it.ID); apiErr != nil {
					return nil, nil, nil, apiErr
				}
			}
			if stored == nil {
				continue
			}
			ref := it.ID
			it, id = *stored, func(string) string { return ref }
		}
		before := len(out)
		switch it.Type {
		case "", "message":
			content, _ := responses.ListContent(it.Content, it.Role)
			out = append(out, responses.InputItem{ID: id("msg"), Type: "message", Role: it.Role, Status: "completed", Content: &content})
		case "function_call":
			args := it.Arguments
			out = append(out, responses.InputItem{ID: id("fc"), Type: "function_call", Status: "completed", CallID: it.CallID, Name: it.Name, Arguments: &args})
		case "function_call_output":
			output, _ := responses.ListOutput(it.Output)
			out = append(out, responses.InputItem{ID: id("fco"), Type: "function_call_output", Status: "completed", CallID: it.CallID, Output: output})
		case "custom_tool_call":
			input := it.Input
			out = append(out, responses.InputItem{ID: id("ctc"), Type: "custom_tool_call", Status: "completed", CallID: it.CallID, Name: it.Name, Input: &input})
		case "custom_tool_call_output":
			output, _ := responses.ListOutput(it.Output)
			out = append(out, responses.InputItem{ID: id("ctco"), Type: "custom_tool_call_output", Status: "completed", CallID: it.CallID, Output: output})
		case "additional_tools":
			out = append(out, responses.InputItem{ID: id("at"), Type: "additional_tools", Role: it.Role, Tools: it.Tools})
		case "reasoning", "image_generation_call", "web_search_call", "file_search_call", "code_interpreter_call", "mcp_list_tools", "mcp_call", "compaction":
			// Taken without being read: listed as the record holds them
			// (an item named by reference is its stored form's fields).
			if referenced {
				out = append(out, responses.InputItem{ID: id(""), Type: it.Type})
				break
			}
			if sent == nil {
				_ = json.Unmarshal(req.Input, &sent) // read into items above: a list
			}
			if i < len(sent) {
				out = append(out, responses.SentItem(sent[i], it.Type, id(sentPrefix[it.Type])))
			}
		}
		if len(out) > before {
			m := ""
			if prefix := madePrefix[it.Type]; !referenced && own != "" && prefix != "" {
				m = responses.InputID(prefix, hex, i)
			}
			made = append(made, m)
			placed = append(placed, responses.InputID(cmp.Or(madePrefix[it.Type], sentPrefix[it.Type]), hex, i))
		}
	}
	return out, made, placed, nil
}

// madePrefix is the prefix of the id an item was listed under until
// 2026-12-06 when it was sent with its own (madeInputItems); the items
// taken unread kept theirs already.
var madePrefix = map[string]string{"": "msg", "message": "msg", "function_call": "fc", "function_call_output": "fco",
	"custom_tool_call": "ctc", "custom_tool_call_output": "ctco", "additional_tools": "at"}
