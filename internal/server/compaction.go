package server

import (
	"net/http"
	"strings"

	"qwenproxy/internal/anthropic"
)

// answerCompaction answers a Messages compaction request (beta
// compact-2026-09-04) as Anthropic answers a compaction that produced no
// summary: a compaction block with content null, stop_reason "compaction".
// Qwen is not asked and nothing is recorded: the chat keeps the whole
// conversation anyway (see anthropic.Compaction), and the SDK's tool
// runner, told no summary came, keeps the conversation as it is and goes
// on. The request is held to what the same request without compaction is
// held to, as count_tokens is, so a bad one is still its 400.
func (s *Server) answerCompaction(w http.ResponseWriter, r *http.Request, req *anthropic.Request, sessionID string) {
	if _, apiErr := s.messagesTurn(r.Context(), req, sessionID); apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	id := "msg_" + strings.ReplaceAll(w.Header().Get("X-Request-Id"), "-", "")
	if !req.Stream {
		writeBody(w, http.StatusOK, anthropic.NoSummary(id, req.Model))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(anthropic.NoSummaryEvents(id, req.Model)) // a client gone away has nothing left to miss
}
