package server

import (
	"net/http"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/session"
	"qwenproxy/internal/tools"
)

// chatCompletions serves POST /v1/chat/completions.
func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	body, apiErr := s.readJSON(w, r)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	var req openai.ChatRequest
	if apiErr := openai.Decode(body, &req); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if apiErr := req.Validate(); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	sessionID, apiErr := sessionHeader(r)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	set, err := tools.ParseSet(req.Tools, req.ToolChoice)
	if err != nil {
		fe := err.(*tools.FieldError)
		writeError(w, openai.InvalidRequest(fe.Param, "invalid_value", "%s %s", fe.Param, fe.Message))
		return
	}
	t := turnSpec{
		tools:     set,
		model:     s.model(req.Model),
		stream:    req.Stream,
		thinking:  req.WantsThinking(),
		messages:  req.Messages,
		sessionID: sessionID,
	}
	if req.StreamOptions != nil {
		t.includeUsage = req.StreamOptions.IncludeUsage
	}
	s.answer(s.newCall(w, r, body), t)
}

// sessionHeader reads and checks X-Session-Id.
func sessionHeader(r *http.Request) (string, *openai.Error) {
	id := r.Header.Get("X-Session-Id")
	if id != "" && !session.ValidID(id) {
		return "", openai.InvalidRequest("X-Session-Id", "invalid_session_id", "%s", session.ErrInvalidID.Error())
	}
	return id, nil
}

func (s *Server) model(requested string) string {
	if requested == "" {
		return s.cfg.DefaultModel
	}
	return requested
}
