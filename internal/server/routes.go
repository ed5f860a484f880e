package server

import (
	"net/http"
	"strings"

	"qwenproxy/internal/dashboard"
	"qwenproxy/internal/historyapi"
)

// routes is the route table: every route the server serves, and which are
// admin-only. The model routes (OpenAI-, Anthropic- and Responses-compatible)
// are served here; the history API's handlers live in internal/historyapi.
func (s *Server) routes() []endpoint {
	h := s.history
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	table := []endpoint{
		{method: get, path: "/health", handler: s.health},
		{method: get, path: "/health/ready", handler: s.ready},
		{method: get, path: "/health/detailed", handler: s.detailed},

		// The dashboard's files hold no data: the pages read the history
		// API below with the person's key.
		{method: get, path: "/{$}", handler: dashboard.Redirect},
		{method: get, path: "/ui", handler: dashboard.Redirect},
		{method: get, path: "/ui/{path...}", handler: dashboard.Handler().ServeHTTP},

		// Model routes: any valid key (or none where no keys exist).
		{method: post, path: "/v1/chat/completions", handler: s.chatCompletions},
		{method: post, path: "/v1/messages", handler: s.messages},
		{method: post, path: "/v1/messages/count_tokens", handler: s.countTokens},
		{method: post, path: "/v1/completions", handler: s.completions},
		{method: post, path: "/v1/images/generations", handler: s.imageGenerations},
		{method: post, path: "/v1/images/edits", handler: s.imageEdits},
		{method: get, path: "/v1/models", handler: s.listModels},
		{method: get, path: "/v1/models/{id...}", handler: s.getModel},
		// The Responses API: POST /v1/responses, and its objects by resp_
		// id, where a key sees only its own. The history API's recorded
		// responses share these paths (GET /v1/responses, numeric ids).
		{method: post, path: "/v1/responses", handler: s.createResponse},
		{method: get, path: "/v1/responses/{id}", ids: isResponseID, unknown: responseNotFound, handler: s.getResponseObject},
		{method: del, path: "/v1/responses/{id}", ids: isResponseID, unknown: responseNotFound, handler: s.deleteResponseObject},
		{method: get, path: "/v1/responses/{id}/input_items", ids: isResponseID, unknown: responseNotFound, handler: s.responseInputItems},
		{method: post, path: "/v1/responses/{id}/cancel", ids: isResponseID, unknown: responseNotFound, handler: s.cancelResponse},
		{method: post, path: "/v1/responses/input_tokens", handler: s.responseInputTokens},
		{method: post, path: compactPath, handler: s.compactResponses},
		// The Conversations API: a key sees only its own conversations
		// (conv_…); deleting one leaves its calls in the history.
		{method: post, path: "/v1/conversations", handler: s.createConversation},
		{method: get, path: "/v1/conversations/{id}", ids: isConversationID, unknown: conversationIDNotFound, handler: s.getConversation},
		{method: post, path: "/v1/conversations/{id}", ids: isConversationID, unknown: conversationIDNotFound, handler: s.updateConversation},
		{method: del, path: "/v1/conversations/{id}", ids: isConversationID, unknown: conversationIDNotFound, handler: s.deleteConversation},
		{method: post, path: "/v1/conversations/{id}/items", ids: isConversationID, unknown: conversationIDNotFound, handler: s.addConversationItems},
		{method: get, path: "/v1/conversations/{id}/items", ids: isConversationID, unknown: conversationIDNotFound, handler: s.listConversationItems},
		{method: get, path: "/v1/conversations/{id}/items/{item}", ids: isConversationID, unknown: conversationIDNotFound, handler: s.getConversationItem},
		{method: del, path: "/v1/conversations/{id}/items/{item}", ids: isConversationID, unknown: conversationIDNotFound, handler: s.deleteConversationItem},

		// The history API: admin keys only, where admin keys exist.
		{method: get, path: "/v1/sessions", admin: true, handler: h.ListSessions},
		{method: get, path: "/v1/sessions/{id}", admin: true, handler: h.GetSession},
		{method: del, path: "/v1/sessions/{id}", admin: true, handler: h.DeleteSession},
		{method: get, path: "/v1/sessions/{id}/stats", admin: true, handler: h.SessionStats},
		{method: get, path: "/v1/sessions/{id}/requests", admin: true, handler: h.SessionRequests},
		{method: get, path: "/v1/sessions/{id}/transcript", admin: true, handler: h.SessionTranscript},
		{method: get, path: "/v1/requests", admin: true, handler: h.ListRequests},
		{method: del, path: "/v1/requests", admin: true, handler: h.DeleteRequests},
		{method: get, path: "/v1/requests/active", admin: true, handler: s.activeCalls},
		{method: get, path: "/v1/requests/{id}", admin: true, handler: h.GetRequest},
		{method: get, path: "/v1/requests/{id}/response", admin: true, handler: h.RequestResponse},
		{method: get, path: "/v1/responses", admin: true, handler: h.ListResponses},
		{method: get, path: "/v1/responses/stats", admin: true, handler: h.Stats},
		{method: get, path: "/v1/responses/{id}", admin: true, ids: isRecordedID, handler: h.GetResponse},
		{method: get, path: "/v1/stats", admin: true, handler: h.Stats},
		{method: get, path: "/v1/export", admin: true, handler: h.Export},
		// An export by a plain link (the dashboard's): an admin's POST
		// makes a one-time ticket; its URL, outside /v1 and naming no
		// key, is its own credential.
		{method: post, path: "/v1/export/tickets", admin: true, handler: h.ExportTicket},
		{method: get, path: historyapi.DownloadPrefix + "{ticket}", handler: h.Download},
	}
	if s.deps.Metrics != nil {
		table = append(table, endpoint{method: get, path: "/metrics", handler: s.deps.Metrics.Handler().ServeHTTP})
	}
	return table
}

// isResponseID reports whether id names a Responses API object (resp_…),
// as opposed to a recorded response of the history API.
func isResponseID(id string) bool { return strings.HasPrefix(id, "resp_") }

// isConversationID reports whether id names a Conversations API object.
func isConversationID(id string) bool { return strings.HasPrefix(id, "conv_") }

// isRecordedID is the id of a recorded response, which the history API
// answers: a number or a UUID. Any other id (a chat completion's, a
// conversation's, a typo) is the Responses API's, whose 404 names it: until
// 2026-12-06 GET /v1/responses/chatcmpl-1 was the history's 400 invalid_id.
func isRecordedID(id string) bool { return historyapi.IsCallID(id) }
