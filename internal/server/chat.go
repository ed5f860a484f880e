package server

import (
	"net/http"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/session"
	"qwenproxy/internal/tools"
)

// validator is a decoded request body that can check itself.
type validator interface{ Validate() *openai.Error }

// decodeCall reads, decodes and validates a completion call's body into req
// and reads its X-Session-Id. On failure it has answered the 4xx; nothing is
// recorded for such a call.
func (s *Server) decodeCall(w http.ResponseWriter, r *http.Request, req validator) (body []byte, sessionID string, ok bool) {
	body, apiErr := s.readJSON(w, r)
	if apiErr == nil {
		apiErr = openai.Decode(body, req)
	}
	if apiErr == nil {
		apiErr = req.Validate()
	}
	if apiErr == nil {
		sessionID, apiErr = sessionHeader(r)
	}
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return nil, "", false
	}
	return body, sessionID, true
}

// chatCompletions serves POST /v1/chat/completions.
func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	var req openai.ChatRequest
	body, sessionID, ok := s.decodeCall(w, r, &req)
	if !ok {
		return
	}
	set, err := tools.ParseSet(req.Tools, req.ToolChoice)
	if err != nil {
		fe := err.(*tools.FieldError)
		writeError(w, openai.InvalidRequest(fe.Param, "invalid_value", "%s %s", fe.Param, fe.Message))
		return
	}
	model, apiErr := s.resolveModel(r.Context(), req.Model)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	format := chatFormat{}
	if req.StreamOptions != nil {
		format.includeUsage = req.StreamOptions.IncludeUsage
	}
	s.answer(s.newCall(w, r, body), turnSpec{
		format:    format,
		tools:     set,
		model:     model,
		asked:     req.Model,
		stream:    req.Stream,
		thinking:  req.WantsThinking(),
		messages:  openai.Conversation(req.Messages),
		sessionID: sessionID,
	})
}

// sessionHeader reads and checks X-Session-Id.
func sessionHeader(r *http.Request) (string, *openai.Error) {
	id := r.Header.Get("X-Session-Id")
	if id != "" && !session.ValidID(id) {
		return "", openai.InvalidRequest("X-Session-Id", "invalid_session_id", "%s", session.ErrInvalidID.Error())
	}
	return id, nil
}
