package server

import (
	"context"
	"net/http"

	"qwenproxy/internal/anthropic"
	"qwenproxy/internal/httpjson"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/structured"
)

// messagesRequest is a Messages API body with the check of its route.
type messagesRequest struct {
	anthropic.Request
	countOnly bool
}

func (m *messagesRequest) Validate() *openai.Error { return m.Request.Validate(m.countOnly) }

// messages serves POST /v1/messages, the Anthropic Messages API (Claude Code,
// the Anthropic SDKs): the same turn as a chat completion, answered in
// Anthropic's message format and stream events.
func (s *Server) messages(w http.ResponseWriter, r *http.Request) {
	var req messagesRequest
	d, ok := s.decodeCall(w, r, &req, anthropic.Fields)
	if !ok {
		return
	}
	body, sessionID := d.body, d.sessionID
	set, _ := req.ToolSet() // validated
	if apiErr := s.checkToolSchemas(set); apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	v, apiErr := s.resolveModel(r.Context(), req.Model)
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	search, autoSearch, apiErr := s.messagesSearch(r.Context(), &req.Request, v)
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	format, _ := req.AnswerFormat() // validated
	jsonFormat, bad := structured.Compile(format)
	if bad != nil {
		writeErrorFor(w, r, openai.InvalidRequest(bad.Param, "invalid_value", "%s: %s", bad.Param, bad.Message))
		return
	}
	t := turnSpec{
		format:     messagesFormat{omitThinking: req.OmitsThinking(), dropThinking: !req.WantsThinking() && !v.thinking},
		tools:      set,
		oneCall:    req.ToolChoice != nil && req.ToolChoice.DisableParallelToolUse,
		model:      v.model,
		search:     search,
		autoSearch: autoSearch,
		image:      v.image,
		edit:       v.edit,
		asked:      req.Model,
		stream:     req.Stream,
		thinking:   req.WantsThinking() || v.thinking,
		// Adaptive thinking is Qwen's Auto, unless the -thinking variant
		// asks for thinking whole.
		thinkingAuto: req.ThinksAdaptively() && !v.thinking,
		messages:     req.Conversation(),
		stop:         req.StopSequences,
		sessionID:    sessionID,
		jsonFormat:   jsonFormat,
	}
	if apiErr := s.turnInputs(r.Context(), &t, "messages"); apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	c := s.newCall(w, r, body)
	c.ex.Request.IgnoredParams = d.ignored
	s.answer(c, t)
}

// messagesSearch is whether the turn searches: the model's -search
// variant, or Anthropic's web search server tool, which Qwen's own search
// stands for — a search chat when tool_choice forces it, else Qwen's own
// choice (autoSearch: the tool is the model's to use when it sees the
// need). Declared for a model without search, or an image variant, it is
// refused as web_search_options is: the answer would pass for a searched
// one.
func (s *Server) messagesSearch(ctx context.Context, req *anthropic.Request, v variant) (search, autoSearch bool, _ *openai.Error) {
	param, ok := req.SearchTool()
	if !ok {
		return v.search, false, nil
	}
	if v.image {
		return false, false, imageSearchError(param, req.Model)
	}
	if apiErr := s.requireCapability(ctx, v.model, param); apiErr != nil {
		return false, false, apiErr
	}
	if v.search || req.ForcesSearch() {
		return true, false, nil
	}
	return false, true, nil
}

// countTokens serves POST /v1/messages/count_tokens: an estimate of the
// request's input tokens, made here (Qwen has no tokenizer endpoint). It
// calls nothing upstream (but for the model list, cached) and is not
// recorded.
func (s *Server) countTokens(w http.ResponseWriter, r *http.Request) {
	req := messagesRequest{countOnly: true}
	if _, ok := s.decodeCall(w, r, &req, nil); !ok {
		return
	}
	set, _ := req.ToolSet() // validated
	if apiErr := s.checkToolSchemas(set); apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	// The model is resolved as /v1/messages resolves it: a name it would
	// refuse is refused here too.
	if _, apiErr := s.resolveModel(r.Context(), req.Model); apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"input_tokens": anthropic.EstimateTokens(&req.Request)})
}

// writeAnthropicError is errorFormat for the Messages routes.
func writeAnthropicError(w http.ResponseWriter, e *openai.Error) []byte {
	httpjson.RetryHeaders(w.Header(), e)
	b := anthropic.ErrorBody(e)
	writeBody(w, e.Status, b)
	return b
}
