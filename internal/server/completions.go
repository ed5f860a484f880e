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
	d, ok := s.decodeCall(w, r, &req, openai.CompletionFields)
	if !ok {
		return
	}
	v, apiErr := s.resolveModel(r.Context(), req.Model)
	if apiErr == nil && v.edit {
		apiErr = noImageToEdit("prompt", req.Model) // a prompt is text alone
	}
	prompt, _ := req.PromptText()
	stop, _ := openai.ParseStop(req.Stop) // checked with the fields
	format := chatFormat{legacy: true}
	if req.StreamOptions != nil {
		format.includeUsage = req.StreamOptions.IncludeUsage
	}
	t := turnSpec{
		format:    format,
		model:     v.model,
		search:    v.search,
		image:     v.image,
		edit:      v.edit,
		mapped:    v.mapped,
		asked:     req.Model,
		stream:    req.Stream,
		thinking:  v.thinking,
		stop:      stop,
		maxTokens: req.OutputLimit(),
		messages:  []qp.Message{{Role: "user", Text: prompt}},
		sessionID: d.sessionID,
	}
	if apiErr == nil {
		apiErr = s.checkOutputLimit(r.Context(), &t, openAILimit, limitField{"max_tokens", req.MaxTokens})
	}
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	c := s.newCall(w, r, d.body)
	c.ex.Request.IgnoredParams = d.ignored
	s.answer(c, &t)
}
