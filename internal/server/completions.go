package server

import (
	"net/http"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
)

// completions serves the legacy POST /v1/completions: the prompt becomes one
// user message in a chat of its own.
func (s *Server) completions(w http.ResponseWriter, r *http.Request) {
	var req openai.CompletionRequest
	body, sessionID, ok := s.decodeCall(w, r, &req)
	if !ok {
		return
	}
	model, apiErr := s.resolveModel(r.Context(), req.Model)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	prompt, _ := req.PromptText()
	format := chatFormat{legacy: true}
	if req.StreamOptions != nil {
		format.includeUsage = req.StreamOptions.IncludeUsage
	}
	s.answer(s.newCall(w, r, body), turnSpec{
		format:    format,
		model:     model,
		asked:     req.Model,
		stream:    req.Stream,
		messages:  []qp.Message{{Role: "user", Text: prompt}},
		sessionID: sessionID,
	})
}
