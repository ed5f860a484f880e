package server

import (
	"net/http"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
)

// statsQuery reads model, account, start/end and bucket.
func statsQuery(r *http.Request) (qp.StatsQuery, *openai.Error) {
	q := r.URL.Query()
	sq := qp.StatsQuery{SessionID: q.Get("session_id"), Model: q.Get("model"), Account: q.Get("account"), Bucket: q.Get("bucket")}
	switch sq.Bucket {
	case "", "hour", "day":
	default:
		return sq, openai.InvalidRequest("bucket", "invalid_bucket", "bucket must be hour or day")
	}
	var err *openai.Error
	sq.Range, err = timeRange(q)
	return sq, err
}

// stats serves GET /v1/stats and GET /v1/responses/stats.
func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	sq, apiErr := statsQuery(r)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	st, err := s.deps.History.Stats(r.Context(), sq)
	if err != nil {
		s.storeFailed(w, err)
		return
	}
	id := sq.SessionID
	if id == "" {
		id = "all"
	}
	writeJSON(w, http.StatusOK, toStatsJSON(id, st))
}

// sessionStats serves GET /v1/sessions/{id}/stats: the original's usage
// block, plus the full statistics.
func (s *Server) sessionStats(w http.ResponseWriter, r *http.Request) {
	rec := s.session(w, r)
	if rec == nil {
		return
	}
	sq, apiErr := statsQuery(r)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	sq.SessionID = rec.ID
	st, err := s.deps.History.Stats(r.Context(), sq)
	if err != nil {
		s.storeFailed(w, err)
		return
	}
	full := toStatsJSON(rec.ID, st)
	writeJSON(w, http.StatusOK, map[string]any{
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
		"statistics":  full.Statistics,
		"by_model":    full.ByModel,
		"by_account":  full.ByAccount,
		"by_bucket":   full.ByBucket,
		"percentiles": full.Percentiles,
	})
}
