package historyapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
)

// ListRequests serves GET /v1/requests.
func (a *API) ListRequests(w http.ResponseWriter, r *http.Request) {
	r, done := a.bound(r)
	defer done()
	q, ok := query(w, r, keys(listKeys, filterKeys))
	if !ok {
		return
	}
	_ = CaughtUp(r.Context(), a.d.Recorder)
	a.requestList(w, r, q, 50, "")
}

// callList reads the paging, sorting and filters of a list of calls; on a
// bad parameter it has answered the 400.
func (a *API) callList(w http.ResponseWriter, q url.Values, defaultLimit int, sorts []string) (qp.ListOptions, qp.CallFilter, bool) {
	o, apiErr := ListOptionsFrom(q, defaultLimit, sorts)
	var f qp.CallFilter
	if apiErr == nil {
		f, apiErr = CallFilterFrom(q, a.d.Now())
	}
	if apiErr != nil {
		writeError(w, apiErr)
		return o, f, false
	}
	return o, f, true
}

func (a *API) requestList(w http.ResponseWriter, r *http.Request, q url.Values, defaultLimit int, sessionID string) {
	o, f, ok := a.callList(w, q, defaultLimit, a.d.Sorts.Requests)
	if !ok {
		return
	}
	res, err := a.d.History.ListRequests(r.Context(), f, o)
	if err != nil {
		a.storeFailed(w, r, err)
		return
	}
	data := make([]any, 0, len(res.Items))
	for i := range res.Items {
		data = append(data, Request(&res.Items[i], false))
	}
	env := envelopeOf(res, o, f.Range, data)
	env.SessionID = sessionID
	a.writeJSON(w, http.StatusOK, env)
}

// request loads the {id} request (numeric id, request UUID, or the id of
// its answer: see CallKey).
func (a *API) request(w http.ResponseWriter, r *http.Request) *qp.RequestRecord {
	if _, ok := query(w, r, nil); !ok {
		return nil
	}
	key, ok := CallKey(r.PathValue("id"))
	if !ok {
		writeError(w, openai.InvalidRequest("id", "invalid_id", "%s", NotACallID))
		return nil
	}
	rec, err := Recent(r.Context(), a.d.Recorder, func(ctx context.Context) (*qp.RequestRecord, error) { return a.d.History.Request(ctx, key) })
	if !a.loaded(w, r, err, "request") {
		return nil
	}
	return rec
}

// GetRequest serves GET /v1/requests/{id}: the whole call.
func (a *API) GetRequest(w http.ResponseWriter, r *http.Request) {
	r, done := a.bound(r)
	defer done()
	if rec := a.request(w, r); rec != nil {
		a.writeJSON(w, http.StatusOK, Request(rec, true))
	}
}

// RequestResponse serves GET /v1/requests/{id}/response.
func (a *API) RequestResponse(w http.ResponseWriter, r *http.Request) {
	r, done := a.bound(r)
	defer done()
	rec := a.request(w, r)
	if rec == nil {
		return
	}
	if rec.Response == nil {
		e := notFoundError("response")
		e.Message = "response not found for this request"
		writeError(w, e)
		return
	}
	a.writeJSON(w, http.StatusOK, Response(rec.Response))
}

// DeleteRequests serves DELETE /v1/requests?before=T: every call recorded
// before T, in batches, each bounded by ReadTimeout (see stepClock).
func (a *API) DeleteRequests(w http.ResponseWriter, r *http.Request) {
	q, ok := query(w, r, []string{"before"})
	if !ok {
		return
	}
	before, apiErr := timeParam(q, a.d.Now(), "before")
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if before.IsZero() {
		writeError(w, openai.InvalidRequest("before", "missing_required_parameter", "before is required: %s", TimeFormats))
		return
	}
	clock := a.deleteClock(r.Context())
	defer clock.end()
	// Calls answered a moment ago may still wait in the recorder's queue:
	// written after the delete, they would outlive a cut-off they are before.
	if err := a.d.Recorder.Sync(clock.ctx); err != nil {
		a.storeFailed(w, r, clock.explain(err))
		return
	}
	clock.next()
	n, err := a.d.History.DeleteRequestsBefore(clock.ctx, before, 500, func(int) { clock.next() })
	if err != nil {
		a.deleteStopped(w, r, n, clock.explain(err))
		return
	}
	clock.end()
	// Not bounded: a no-op on PostgreSQL; on SQLite, a local file, it frees
	// pages a thousand at a time, and what it leaves the next delete or
	// sweep frees.
	if err := a.d.History.ReclaimSpace(r.Context()); err != nil {
		a.d.Log.Warn("reclaim space after delete", "err", err)
	}
	a.writeJSON(w, http.StatusOK, map[string]any{"deleted": n, "before": before.UnixMilli()})
}

// IsCallID reports whether s names a recorded call: a number or a UUID.
func IsCallID(s string) bool {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return true
	}
	return validUUID(s)
}

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
			return false
		}
	}
	return true
}
