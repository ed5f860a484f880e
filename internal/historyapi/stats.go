package historyapi

import (
	"net/http"
	"net/url"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
)

// StatsQueryFrom reads session_id, client_session_id, model, account,
// api_key_id, start/end and bucket.
func StatsQueryFrom(q url.Values, now time.Time) (qp.StatsQuery, *openai.Error) {
	if err := emptyFilter(q); err != nil {
		return qp.StatsQuery{}, err
	}
	sq := qp.StatsQuery{SessionID: q.Get("session_id"), Model: q.Get("model"), Account: q.Get("account"), APIKeyID: q.Get("api_key_id"), Bucket: q.Get("bucket")}
	var err *openai.Error
	if sq.ClientSessionID, err = clientSessionFilter(q); err != nil {
		return sq, err
	}
	switch sq.Bucket {
	case "", "hour", "day":
	default:
		return sq, openai.InvalidRequest("bucket", "invalid_bucket", "bucket must be hour or day, not %q", sq.Bucket)
	}
	sq.Range, err = timeRange(q, now)
	return sq, err
}

// Stats serves GET /v1/stats and GET /v1/responses/stats.
func (a *API) Stats(w http.ResponseWriter, r *http.Request) {
	r, done := a.bound(r)
	defer done()
	q, ok := query(w, r, statsKeys)
	if !ok {
		return
	}
	sq, apiErr := StatsQueryFrom(q, a.d.Now())
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	_ = CaughtUp(r.Context(), a.d.Recorder)
	st, err := a.d.History.Stats(r.Context(), sq)
	if err != nil {
		a.storeFailed(w, r, err)
		return
	}
	a.writeJSON(w, http.StatusOK, StatsOf(sq, st))
}

// SessionStats serves GET /v1/sessions/{id}/stats: the original's usage
// block, plus the full statistics.
func (a *API) SessionStats(w http.ResponseWriter, r *http.Request) {
	r, done := a.bound(r)
	defer done()
	q, ok := query(w, r, bySession(statsKeys))
	if !ok {
		return
	}
	rec := a.session(w, r)
	if rec == nil {
		return
	}
	sq, apiErr := StatsQueryFrom(q, a.d.Now())
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	sq.SessionID = rec.ID
	st, err := a.d.History.Stats(r.Context(), sq)
	if err != nil {
		a.storeFailed(w, r, err)
		return
	}
	full := Stats(rec.ID, st, sq.Bucket)
	body := map[string]any{
		"session_id":    rec.ID,
		"message_count": rec.MessageCount,
		"created_at":    rec.CreatedAt.UnixMilli(),
		"last_accessed": rec.LastAccessed.UnixMilli(),
		"usage": map[string]any{
			"total_responses":         full.Statistics.TotalResponses,
			"total_completion_tokens": full.Statistics.TotalCompletionTokens,
			"total_prompt_tokens":     full.Statistics.TotalPromptTokens,
			"total_tokens":            full.Statistics.TotalTokens,
			"avg_duration_ms":         full.Statistics.AvgDurationMS,
		},
		"statistics":    full.Statistics,
		"by_model":      full.ByModel,
		"by_account":    full.ByAccount,
		"by_error_type": full.ByErrorType,
		"percentiles":   full.Percentiles,
	}
	if sq.ClientSessionID != "" { // its calls of the session alone, said as /v1/stats says it
		body["client_session_id"] = sq.ClientSessionID
	}
	if full.ByBucket != nil { // asked for, as /v1/stats has it (it said null when not)
		body["by_bucket"] = full.ByBucket
	}
	a.writeJSON(w, http.StatusOK, body)
}
