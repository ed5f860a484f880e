package historyapi

import (
	"context"
	"net/http"

	qp "qwenproxy"
)

// ListSessions serves GET /v1/sessions.
func (a *API) ListSessions(w http.ResponseWriter, r *http.Request) {
	r, done := a.bound(r)
	defer done()
	q, ok := query(w, r, keys(listKeys, rangeKeys, []string{"model", "account", "api_key_id", "search"}))
	if !ok {
		return
	}
	o, apiErr := ListOptionsFrom(q, 50, a.d.Sorts.Sessions)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	f, apiErr := SessionFilterFrom(q, a.d.Now())
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	_ = CaughtUp(r.Context(), a.d.Recorder)
	res, err := a.d.History.ListSessions(r.Context(), f, o)
	if err != nil {
		a.storeFailed(w, r, err)
		return
	}
	data := make([]SessionJSON, 0, len(res.Items))
	for i := range res.Items {
		data = append(data, Session(&res.Items[i], a.d.Now(), false))
	}
	a.writeJSON(w, http.StatusOK, envelopeOf(res, o, f.Range, data))
}

// session loads the {id} session, answering 404 itself: its state and
// calls as of its latest answer (see CaughtUp). One not found while the
// recorder still holds records (spooled, in memory, or not written in
// time) may be among them, as a call's is (see Recent): a 503.
func (a *API) session(w http.ResponseWriter, r *http.Request) *qp.SessionRecord {
	_ = CaughtUp(r.Context(), a.d.Recorder)
	id := r.PathValue("id")
	rec, err := Recent(r.Context(), a.d.Recorder, func(ctx context.Context) (*qp.SessionRecord, error) { return a.d.History.SessionRecord(ctx, id) })
	if !a.loaded(w, r, err, "session") {
		return nil
	}
	return rec
}

// GetSession serves GET /v1/sessions/{id}.
func (a *API) GetSession(w http.ResponseWriter, r *http.Request) {
	r, done := a.bound(r)
	defer done()
	if _, ok := query(w, r, nil); !ok {
		return
	}
	if rec := a.session(w, r); rec != nil {
		a.writeJSON(w, http.StatusOK, Session(rec, a.d.Now(), true))
	}
}

// DeleteSession serves DELETE /v1/sessions/{id}: the session and its calls,
// one transaction, bounded by ReadTimeout as the wait for the recorder's
// queue before it is (see stepClock).
func (a *API) DeleteSession(w http.ResponseWriter, r *http.Request) {
	if _, ok := query(w, r, nil); !ok {
		return
	}
	id := r.PathValue("id")
	clock := a.deleteClock(r.Context())
	defer clock.end()
	// Written-behind state of the session must land before the delete, or
	// it would bring the session back.
	a.d.Sessions.Forget(id)
	if err := a.d.Recorder.Sync(clock.ctx); err != nil {
		a.storeFailed(w, r, clock.explain(err))
		return
	}
	clock.next()
	if !a.loaded(w, r, clock.explain(a.d.History.DeleteSession(clock.ctx, id)), "session") {
		return
	}
	a.writeJSON(w, http.StatusOK, map[string]any{"deleted": true, "session_id": id})
}

// SessionRequests serves GET /v1/sessions/{id}/requests: the session's
// calls, the request list's parameters less session_id.
func (a *API) SessionRequests(w http.ResponseWriter, r *http.Request) {
	r, done := a.bound(r)
	defer done()
	q, ok := query(w, r, bySession(keys(listKeys, filterKeys)))
	if !ok {
		return
	}
	rec := a.session(w, r)
	if rec == nil {
		return
	}
	q.Set("session_id", rec.ID)
	a.requestList(w, r, q, 100, rec.ID)
}

// SessionTranscript serves GET /v1/sessions/{id}/transcript: the session's
// calls as the conversation they were (see Turn), oldest first unless
// order=desc, keyset-paged like every list.
func (a *API) SessionTranscript(w http.ResponseWriter, r *http.Request) {
	r, done := a.bound(r)
	defer done()
	q, ok := query(w, r, []string{"limit", "after", "before", "order", "count"})
	if !ok {
		return
	}
	o, apiErr := ListOptionsFrom(q, 50, nil)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	o.Asc, o.Bodies = q.Get("order") != "desc", true
	rec := a.session(w, r)
	if rec == nil {
		return
	}
	res, err := a.d.History.ListRequests(r.Context(), qp.CallFilter{SessionID: rec.ID}, o)
	if err != nil {
		a.storeFailed(w, r, err)
		return
	}
	sent, err := ReadConversationSent(r.Context(), a.d.Conversations, rec.ID)
	if err != nil {
		a.storeFailed(w, r, err)
		return
	}
	data := make([]TurnJSON, 0, len(res.Items))
	for i := range res.Items {
		data = append(data, sent.Turn(&res.Items[i]))
	}
	if err := MarkRegenerates(r.Context(), a.d.History, rec.ID, res.Items, data, o.Asc); err != nil {
		a.storeFailed(w, r, err)
		return
	}
	env := envelopeOf(res, o, qp.TimeRange{}, data)
	env.SessionID = rec.ID
	a.writeJSON(w, http.StatusOK, env)
}
