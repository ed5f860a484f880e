package server

import (
	"cmp"
	"net/http"
	"regexp"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/session"
	"qwenproxy/internal/structured"
	"qwenproxy/internal/tools"
)

// validator is a decoded request body that can check itself.
type validator interface{ Validate() *openai.Error }

// decodedCall is a completion call's body that passed every check.
type decodedCall struct {
	body      []byte
	sessionID string   // X-Session-Id
	ignored   []string // fields accepted without effect, for the record
}

// decodeCall reads the body, checks every field against its policy table
// (when the client API has one), decodes and validates it into req, and
// reads X-Session-Id and checks X-Record-Bodies. On failure it
// has answered the 4xx; nothing is recorded for such a call.
func (s *Server) decodeCall(w http.ResponseWriter, r *http.Request, req validator, fields []openai.Field) (decodedCall, bool) {
	var d decodedCall
	body, apiErr := s.readJSON(w, r)
	if apiErr == nil && fields != nil {
		d.ignored, apiErr = openai.CheckFields(body, fields)
	}
	if apiErr == nil {
		apiErr = openai.Decode(body, req)
	}
	if apiErr == nil {
		apiErr = req.Validate()
	}
	if apiErr == nil {
		d.sessionID, apiErr = sessionHeader(r)
	}
	if apiErr == nil && d.sessionID != "" && !inConversation(req) {
		apiErr = s.conversationSessionNamed(r.Context(), d.sessionID)
	}
	if apiErr == nil {
		_, apiErr = recordBodiesHeader(r)
	}
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return d, false
	}
	d.body = body
	return d, true
}

// chatCompletions serves POST /v1/chat/completions.
func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	var req openai.ChatRequest
	d, ok := s.decodeCall(w, r, &req, openai.ChatFields)
	if !ok {
		return
	}
	t, apiErr := chatTurn(&req)
	if apiErr == nil {
		apiErr = s.checkToolSchemas(t.tools)
	}
	if apiErr == nil {
		apiErr = s.applyModel(r.Context(), &t, req.Model)
	}
	if apiErr == nil {
		apiErr = s.checkOutputLimit(r.Context(), &t, openAILimit,
			limitField{"max_completion_tokens", req.MaxCompletionTokens}, limitField{"max_tokens", req.MaxTokens})
	}
	if apiErr == nil && req.WantsSearch() {
		apiErr = s.requireCapability(r.Context(), t.model, "web_search_options")
		if apiErr == nil && t.image {
			apiErr = imageSearchError("web_search_options", req.Model)
		}
	}
	if apiErr == nil {
		choiceParam := "tool_choice"
		if f, ok := t.format.(chatFormat); ok && f.functions {
			choiceParam = legacyParam(choiceParam) // the function_call it came as
		}
		apiErr = imageAnswerConflict(&t, "response_format", choiceParam)
	}
	if apiErr == nil {
		apiErr = s.turnInputs(r.Context(), &t, "messages")
	}
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	t.asked, t.sessionID = req.Model, d.sessionID
	c := s.newCall(w, r, d.body)
	c.ex.Request.IgnoredParams = d.ignored
	s.answer(c, &t)
}

// chatTurn reads what the turn must do from a validated chat request: the
// tools (or the legacy functions, mapped onto them), the answer format and
// the stop sequences.
func chatTurn(req *openai.ChatRequest) (turnSpec, *openai.Error) {
	legacy := req.LegacyFunctions()
	if err := req.MapLegacyFunctions(); err != nil {
		return turnSpec{}, err
	}
	set, fe := tools.ParseSet(req.Tools, req.ToolChoice)
	if fe != nil {
		param := fe.Param
		if legacy {
			param = legacyParam(param)
		}
		return turnSpec{}, openai.InvalidRequest(param, cmp.Or(fe.Code, "invalid_value"), "%s %s", param, fe.Message)
	}
	if legacy {
		for i := range set.Tools {
			set.Tools[i].Param = legacyParam(set.Tools[i].Param)
		}
	}
	rf, apiErr := openai.ParseResponseFormat(req.ResponseFormat)
	if apiErr != nil {
		return turnSpec{}, apiErr
	}
	jsonFormat, bad := structured.Compile(rf)
	if bad != nil {
		return turnSpec{}, openai.InvalidRequest(bad.Param, "invalid_value", "%s %s", bad.Param, bad.Message)
	}
	stop, apiErr := openai.ParseStop(req.Stop)
	if apiErr != nil {
		return turnSpec{}, apiErr
	}
	format := chatFormat{functions: legacy}
	if req.StreamOptions != nil {
		format.includeUsage = req.StreamOptions.IncludeUsage
	}
	return turnSpec{
		format: format,
		tools:  set,
		// The functions shape has room for one call.
		oneCall:    legacy || req.ParallelToolCalls != nil && !*req.ParallelToolCalls,
		jsonFormat: jsonFormat,
		stop:       stop,
		maxTokens:  req.OutputLimit(),
		stream:     req.Stream,
		thinking:   req.WantsThinking(),
		search:     req.WantsSearch(),
		messages:   openai.Conversation(req.Messages),
	}, nil
}

// checkToolSchemas refuses, with OpenAI's 400 invalid_function_parameters,
// a call whose tools declare parameters that are not a JSON Schema (see
// tools.Schemas), in every client API.
func (s *Server) checkToolSchemas(set *tools.Set) *openai.Error {
	if fe := s.schemas.Check(set); fe != nil {
		return openai.InvalidRequest(fe.Param, "invalid_function_parameters", "%s: %s", fe.Param, fe.Message)
	}
	return nil
}

var toolParam = regexp.MustCompile(`^tools(\[\d+\])(?:\.function)?`)

// legacyParam names a tools error in the functions form the client sent:
// tools[2].function.name is functions[2].name, tool_choice is function_call.
func legacyParam(p string) string {
	if p == "tool_choice" {
		return "function_call"
	}
	return toolParam.ReplaceAllString(p, "functions$1")
}

// sessionHeader reads and checks X-Session-Id.
func sessionHeader(r *http.Request) (string, *openai.Error) {
	id := r.Header.Get("X-Session-Id")
	if id != "" && !session.ValidID(id) {
		return "", openai.InvalidRequest("X-Session-Id", "invalid_session_id", "%s", session.ErrInvalidID.Error())
	}
	return id, nil
}
