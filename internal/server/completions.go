package server

import (
	"encoding/json"
	"net/http"

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
	content, _ := json.Marshal(prompt)
	t := turnSpec{
		legacy:    true,
		model:     model,
		asked:     req.Model,
		stream:    req.Stream,
		messages:  []openai.Message{{Role: "user", Content: content}},
		sessionID: sessionID,
	}
	if req.StreamOptions != nil {
		t.includeUsage = req.StreamOptions.IncludeUsage
	}
	s.answer(s.newCall(w, r, body), t)
}
