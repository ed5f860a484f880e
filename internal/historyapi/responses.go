package historyapi

import (
	"context"
	"net/http"
	"strconv"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
)

// ListResponses serves GET /v1/responses: recorded responses (the history
// API's, not the Responses API's).
func (a *API) ListResponses(w http.ResponseWriter, r *http.Request) {
	r, done := a.bound(r)
	defer done()
	q, ok := query(w, r, keys(listKeys, filterKeys))
	if !ok {
		return
	}
	o, f, ok := a.callList(w, q, 50, a.d.Sorts.Responses)
	if !ok {
		return
	}
	_ = CaughtUp(r.Context(), a.d.Recorder)
	res, err := a.d.History.ListResponses(r.Context(), f, o)
	if err != nil {
		a.storeFailed(w, r, err)
		return
	}
	data := make([]*ResponseJSON, 0, len(res.Items))
	for i := range res.Items {
		data = append(data, Response(&res.Items[i]))
	}
	a.writeJSON(w, http.StatusOK, envelopeOf(res, o, f.Range, data))
}

// GetResponse serves GET /v1/responses/{id} for a recorded response's
// numeric id or its UUID (response_id).
func (a *API) GetResponse(w http.ResponseWriter, r *http.Request) {
	r, done := a.bound(r)
	defer done()
	if _, ok := query(w, r, nil); !ok {
		return
	}
	id := r.PathValue("id")
	if _, err := strconv.ParseInt(id, 10, 64); err != nil && !validUUID(id) {
		writeError(w, openai.InvalidRequest("id", "invalid_id", "a recorded response's id is a number or its UUID (response_id)"))
		return
	}
	rec, err := Recent(r.Context(), a.d.Recorder, func(ctx context.Context) (*qp.ResponseRecord, error) { return a.d.History.Response(ctx, id) })
	if !a.loaded(w, r, err, "response") {
		return
	}
	out := struct {
		*ResponseJSON
		Request map[string]any `json:"request"`
	}{Response(rec), map[string]any{"id": rec.RequestID, "request_id": rec.RequestUUID, "model": rec.RequestModel, "stream": rec.Stream}}
	a.writeJSON(w, http.StatusOK, out)
}
