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
	d, ok := s.decodeCall(w, r, &req, openai.CompletionFields)
	if !ok {
		return
	}
	prompt, _ := req.PromptText()
	content, _ := json.Marshal(prompt)
	stop, _ := openai.ParseStop(req.Stop) // checked with the fields
	t := turnSpec{
		legacy:    true,
		model:     s.model(req.Model),
		stream:    req.Stream,
		stop:      stop,
		messages:  []openai.Message{{Role: "user", Content: content}},
		sessionID: d.sessionID,
	}
	if req.StreamOptions != nil {
		t.includeUsage = req.StreamOptions.IncludeUsage
	}
	c := s.newCall(w, r, d.body)
	c.ex.Request.IgnoredParams = d.ignored
	s.answer(c, t)
}
