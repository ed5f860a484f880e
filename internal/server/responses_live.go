package server

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	"qwenproxy/internal/auth"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
)

// A response is recorded only once its call ends, so until 2026-12-06
// GET /v1/responses/{id} was a 404 for a response whose stream had already
// told its client its id (response.created), or whose non-streamed call
// still waited for Qwen. OpenAI serves such a response, "in_progress", with
// the output so far. The calls this instance serves (active, the dashboard's
// live view) keep each Responses call's response while it runs: from the
// moment its output is opened, before its id goes out, until its call ends
// and its record is queued (finish), whatever way it ends (answered, failed,
// cut, its client gone, the server stopping). GET then serves the recorded
// object, as before: the recorder's queue is written first (recordedCall).
//
// It is bounded as the calls are: a Responses call has a body, and holds
// one of MAX_IN_FLIGHT places while it runs (admission). It is this
// instance's: another instance sharing the database does not see it, and
// answers 404 until the record is written, as before.

// liveResponse is a Responses call's response while it runs. Its fields
// change as the call goes on, under the live registry's lock (activeCall).
type liveResponse struct {
	// keyID is the key that asked for it: another key's is not found.
	keyID     string
	requestID string
	// id is the response's id once the output named it (responseID),
	// "" before: GET answers with the id it was asked.
	id string
	// shell is the response object without its output: the request's
	// settings echoed, status in_progress.
	shell responses.Response
	// items are the output items completed so far, as sent.
	items []json.RawMessage
	// body is the client's request, for input_items (held by the call
	// anyway until it ends).
	body []byte
}

// live registers o's response while its call runs, when it will be served
// once recorded: stored (or run in the background, which store:false
// serves for its polling), with its bodies recorded, not a compacted
// response (never streamed, it has no in_progress form).
func (o *responsesOutput) live(f responsesFormat) {
	c := o.c
	if c.live == nil || f.compaction != nil || c.metadataOnly || len(c.ex.Request.OpenAIRequest) == 0 {
		return
	}
	var bg bool
	_ = json.Unmarshal(f.shell.Background, &bg) // echoed: true, false or null
	if !f.shell.Store && !bg {
		return
	}
	lr := &liveResponse{keyID: c.ex.Request.APIKeyID, requestID: c.ex.Request.RequestID, shell: o.resp, body: c.ex.Request.OpenAIRequest}
	lr.shell.Output = nil
	c.live.update(func(a *activeCall) { a.response = lr })
}

// liveNamed notes the id the response was given (named).
func (o *responsesOutput) liveNamed() {
	if o.c.live == nil {
		return
	}
	id := o.resp.ID
	o.c.live.update(func(a *activeCall) {
		if a.response != nil {
			a.response.id = id
		}
	})
}

// liveItem adds an output item completed (sent done) to the live response.
func (o *responsesOutput) liveItem(item responses.OutputItem) {
	if o.c.live == nil {
		return
	}
	if item.Type == "image_generation_call" {
		item = o.imageItem(item.ID, item.Status, true) // its size and URL, as recorded, not its bytes
	}
	var raw json.RawMessage
	o.c.live.update(func(a *activeCall) {
		if a.response == nil {
			return
		}
		if raw == nil {
			raw = marshalResponse(item)
		}
		a.response.items = append(a.response.items, raw)
	})
}

// liveResponseOf is the response of the call requestID while it runs on
// this instance, as a copy, when the caller's key asked for it; nil when
// there is none.
func (s *Server) liveResponseOf(ctx context.Context, requestID string) *liveResponse {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	c := s.live.calls[requestID]
	if c == nil || c.response == nil || c.response.keyID != auth.FromContext(ctx).KeyID {
		return nil
	}
	lr := *c.response
	lr.items = slices.Clip(lr.items) // appended to by the call, never in place
	return &lr
}

// liveObject finds a response in progress by the id the client was given.
func (s *Server) liveObject(ctx context.Context, id string) *liveResponse {
	requestID, _, ok := parseResponseID(id)
	if !ok {
		return nil
	}
	lr := s.liveResponseOf(ctx, requestID)
	if lr != nil && lr.id == "" {
		lr.id = id
	}
	return lr
}

// object is the response object as GET serves it in progress: status
// in_progress, the output items completed so far.
func (lr *liveResponse) object() []byte {
	r := struct {
		responses.Response
		Output []json.RawMessage `json:"output"` // the items as sent, in place of the shell's
	}{Response: lr.shell, Output: lr.items}
	r.ID, r.Status = lr.id, "in_progress"
	if r.Output == nil {
		r.Output = []json.RawMessage{}
	}
	return marshalResponse(&r)
}

// liveInputItems lists its request's input, as a recorded response's is listed
// (madeInputItems), the request redacted as its record will be.
func (s *Server) liveInputItems(ctx context.Context, lr *liveResponse) ([]responses.InputItem, []string, *openai.Error) {
	body, _ := s.recordedForm(ctx, lr.body, s.deps.Accounts.Known())
	var req responses.Request
	_ = json.Unmarshal(body, &req) // validated when the call began
	return madeInputItems(&req, lr.requestID, s.itemLookup(ctx, nil, &req, nil, false))
}

// responseInProgress is the 409 for what a response in progress cannot be
// yet: deleted.
func responseInProgress(id string) *openai.Error {
	return &openai.Error{Status: http.StatusConflict, Type: openai.TypeInvalidRequest, Param: "response_id", Code: "response_in_progress",
		Message: "Response with id '" + clip(id) + "' is still in progress: it can be deleted once it has completed (or failed)."}
}
