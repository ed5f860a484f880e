package server

import (
	"context"
	"net/http"
	"strings"

	"qwenproxy/internal/anthropic"
	"qwenproxy/internal/httpjson"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/structured"
	"qwenproxy/internal/tools"
)

// messagesRequest is a Messages API body with the check of its route.
type messagesRequest struct {
	anthropic.Request
	countOnly   bool
	interleaved bool // anthropic-beta asks for interleaved thinking
}

func (m *messagesRequest) Validate() *openai.Error {
	m.InterleavedThinking = m.interleaved
	return m.Request.Validate(m.countOnly)
}

// interleavedThinking reports whether the anthropic-beta header (a list,
// in one or more lines) asks for interleaved thinking
// (interleaved-thinking-2025-05-14), under which Anthropic lets
// thinking.budget_tokens exceed max_tokens.
func interleavedThinking(r *http.Request) bool {
	for _, line := range r.Header.Values("Anthropic-Beta") {
		for beta := range strings.SplitSeq(line, ",") {
			if strings.HasPrefix(strings.TrimSpace(beta), "interleaved-thinking-") {
				return true
			}
		}
	}
	return false
}

// messages serves POST /v1/messages, the Anthropic Messages API (Claude Code,
// the Anthropic SDKs): the same turn as a chat completion, answered in
// Anthropic's message format and stream events.
func (s *Server) messages(w http.ResponseWriter, r *http.Request) {
	req := messagesRequest{interleaved: interleavedThinking(r)}
	d, ok := s.decodeCall(w, r, &req, anthropic.Fields)
	if !ok {
		return
	}
	t, apiErr := s.messagesTurn(r.Context(), &req.Request, d.sessionID)
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	c := s.newCall(w, r, d.body)
	c.ex.Request.IgnoredParams = d.ignored
	s.answer(c, &t)
}

// messagesTurn checks what a Messages request asks for beyond its own
// shape — its tools' schemas, the model and its capabilities, the answer
// format, the images and documents — and returns its turn. count_tokens
// holds a request to the same.
func (s *Server) messagesTurn(ctx context.Context, req *anthropic.Request, sessionID string) (turnSpec, *openai.Error) {
	set, _ := req.ToolSet() // validated
	if apiErr := s.checkToolSchemas(set); apiErr != nil {
		return turnSpec{}, apiErr
	}
	v, apiErr := s.resolveModel(ctx, req.Model)
	if apiErr != nil {
		return turnSpec{}, apiErr
	}
	search, autoSearch, apiErr := s.messagesSearch(ctx, req, v)
	if apiErr != nil {
		return turnSpec{}, apiErr
	}
	format, _ := req.AnswerFormat() // validated
	stop := req.StopSequences
	if req.Compacts() {
		// A compaction answers only its summary: what shapes a reply
		// (a forced call, a format, stop sequences) does not hold for it,
		// as Anthropic takes none of it with compaction.
		format, stop = nil, nil
		if set.Choice.Mode != "none" {
			set.Choice = tools.Choice{Mode: "auto"}
		}
	}
	jsonFormat, bad := structured.Compile(format)
	if bad != nil {
		return turnSpec{}, openai.InvalidRequest(bad.Param, "invalid_value", "%s: %s", bad.Param, bad.Message)
	}
	_, searchTool := req.SearchTool()
	answerFormat := messagesFormat{omitThinking: req.OmitsThinking(), dropThinking: !req.WantsThinking() && !v.thinking, searchBlocks: searchTool}
	if req.Compacts() {
		answerFormat.compaction, answerFormat.toolChanges = true, req.ToolChangesInEffect()
	}
	t := turnSpec{
		format:     answerFormat,
		compacts:   req.Compacts(),
		tools:      set,
		oneCall:    req.ToolChoice != nil && req.ToolChoice.DisableParallelToolUse,
		model:      v.model,
		search:     search,
		autoSearch: autoSearch,
		image:      v.image,
		edit:       v.edit,
		mapped:     v.mapped,
		asked:      req.Model,
		stream:     req.Stream,
		thinking:   req.WantsThinking() || v.thinking,
		// Adaptive thinking is Qwen's Auto, unless the -thinking variant
		// asks for thinking whole.
		thinkingAuto: req.ThinksAdaptively() && !v.thinking,
		messages:     req.Turn(),
		stop:         stop,
		sessionID:    sessionID,
		jsonFormat:   jsonFormat,
	}
	if !req.Compacts() { // a summary that replaces the conversation goes whole
		t.maxTokens = req.OutputLimit()
	}
	if apiErr := s.checkOutputLimit(ctx, &t, anthropicLimit, limitField{"max_tokens", req.MaxTokens}); apiErr != nil {
		return turnSpec{}, apiErr
	}
	if apiErr := imageAnswerConflict(&t, req.FormatParam(), "tool_choice"); apiErr != nil {
		return turnSpec{}, apiErr
	}
	return t, s.turnInputs(ctx, &t, "messages")
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
	// Barred by tool_choice (none, or another tool forced), the search is
	// not the model's to use.
	return false, req.SearchOffered(), nil
}

// countTokens serves POST /v1/messages/count_tokens: an estimate of the
// request's input tokens, made here (Qwen has no tokenizer endpoint). It
// calls nothing upstream (but for the model list, cached; an image or
// document by URL is fetched as /v1/messages fetches it) and is not
// recorded.
func (s *Server) countTokens(w http.ResponseWriter, r *http.Request) {
	req := messagesRequest{countOnly: true, interleaved: interleavedThinking(r)}
	d, ok := s.decodeCall(w, r, &req, anthropic.Fields)
	if !ok {
		return
	}
	// Held to what /v1/messages holds the same request to: what it would
	// refuse (an MCP server, a search on a model without it, an image to a
	// model without vision) is refused here too.
	if _, apiErr := s.messagesTurn(r.Context(), &req.Request, d.sessionID); apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"input_tokens": anthropic.EstimateTokens(&req.Request)})
}

// writeAnthropicError is errorFormat for the Messages routes.
func writeAnthropicError(w http.ResponseWriter, e *openai.Error) []byte {
	httpjson.RetryHeaders(w.Header(), e)
	// The middleware named the call in Request-Id (every Anthropic client
	// gets it), which the envelope repeats as Anthropic's does.
	b := anthropic.ErrorBody(e, w.Header().Get("Request-Id"))
	writeBody(w, e.Status, b)
	return b
}
