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
// and reads its X-Session-Id. On failure it has answered the 4xx (or, under
// RECORDING_REQUIRED while records cannot be kept, a 503); nothing is
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
	if apiErr == nil && s.cfg.RecordingRequired && !s.deps.Recorder.Durable() {
		// Memory is not durable: refuse rather than serve unrecorded.
		apiErr = &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeUnavailable, Code: "recording_unavailable",
			Message: "calls are refused while neither the database nor the spool takes records (RECORDING_REQUIRED)"}
	}
	if apiErr != nil {
		writeError(w, apiErr)
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
