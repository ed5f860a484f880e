package server

import (
	"net/http"

	"qwenproxy/internal/auth"
	"qwenproxy/internal/estimate"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
)

// The Responses API's other routes, which the OpenAI SDKs call
// (responses.inputTokens.count, responses.cancel; responses.compact is
// responses_compact.go's): the first is answered with an estimate, the
// second with what the proxy cannot do. They were "method POST is not
// allowed; allowed: DELETE, GET, HEAD", their last segment taken for a
// response's id.

// responseInputTokens serves POST /v1/responses/input_tokens: an estimate
// of a Responses request's input tokens, made as count_tokens makes
// Anthropic's (estimate.Tokens): its instructions, input and tools, not an
// earlier response's that previous_response_id names. The request is held
// to what POST /v1/responses holds it to (responsesTurn), but that its input
// may be left out, as OpenAI documents it for this route: the count is then
// the instructions' and tools'. It calls nothing upstream (but for the model
// list, cached; an image or document by URL is fetched as /v1/responses
// fetches it) and is not recorded.
func (s *Server) responseInputTokens(w http.ResponseWriter, r *http.Request) {
	req := responsesRequest{count: true}
	req.lookup = s.newItems(r.Context(), &req.Request)
	d, ok := s.decodeCall(w, r, &req, responses.Fields)
	if !ok {
		return
	}
	if req.InConversation() {
		// Counted without them, the conversation's items would be left
		// out unseen.
		writeErrorFor(w, r, openai.InvalidRequest("conversation", "unsupported_parameter",
			"input_tokens does not count a conversation's items here: count the input without conversation"))
		return
	}
	t, apiErr := s.responsesTurn(r.Context(), &req.Request, d.body, d.sessionID)
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	// The response continued must be one the caller may continue, as a
	// turn would find it (POST /v1/responses): another key's is unknown
	// here too, not counted; one its session has answered past must be
	// one a turn may branch off from (branchChain), or the count is of a
	// turn POST /v1/responses refuses.
	if t.continues != "" {
		owns, branches, err := s.deps.Sessions.Owns(r.Context(), t.sessionID, auth.FromContext(r.Context()).KeyID, continuedCall(t.continues))
		if err != nil {
			s.log.Error("read the session a previous_response_id names", "err", err)
			writeErrorFor(w, r, &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeUnavailable, Code: "database_unavailable",
				Message: "the previous response could not be read: the database is unavailable"})
			return
		}
		if !owns {
			writeErrorFor(w, r, previousNotFound(t.continues))
			return
		}
		if branches {
			if err := t.branch(r.Context()); err != nil {
				writeErrorFor(w, r, classify(err).api)
				return
			}
		}
	}
	declared := make([]estimate.Tool, 0, len(t.tools.Tools))
	for _, tool := range t.tools.Tools {
		declared = append(declared, estimate.Tool{Name: tool.Name, Description: tool.Description, Schema: string(tool.Parameters)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "response.input_tokens", "input_tokens": estimate.Tokens(req.Conversation(), declared)})
}

// cancelResponse serves POST /v1/responses/resp_…/cancel: a response of the
// caller's is found, but there is nothing to cancel, since every response
// (a background one too) is answered before its call returns. One still in
// progress is its call's, which its client ends by leaving: OpenAI cancels
// only a background response.
func (s *Server) cancelResponse(w http.ResponseWriter, r *http.Request) {
	if s.liveObject(r.Context(), r.PathValue("id")) != nil {
		writeErrorFor(w, r, openai.InvalidRequest("", "response_not_cancellable",
			"the response is in progress in the call that asked for it: only a background response can be cancelled, and the proxy runs none in the background (each is answered in its own call); end that call to stop it"))
		return
	}
	if _, apiErr := s.responseObject(r.Context(), r.PathValue("id"), true); apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	writeErrorFor(w, r, openai.InvalidRequest("", "response_not_cancellable",
		"the response is completed: the proxy answers every response before its call returns (background ones too), so there is nothing to cancel"))
}
