package server

import (
	"fmt"
	"net/http"
	"strings"

	"qwenproxy/internal/openai"
)

// OpenAI and Anthropic APIs the proxy does not serve. A developer pointing
// an SDK at the proxy calls them as at OpenAI or Anthropic
// (client.embeddings.create, client.messages.batches.create, …); a bare
// "no route for POST /v1/embeddings" reads like a wrong base URL, so these
// say the API is not served here, and why.
var unsupportedAPIs = []struct {
	path string // a path under /v1: it, and every path below it
	why  string
	// anthropicWhy, when set, is why in an Anthropic client's words (the
	// two APIs share /v1/files, whose alternative each names its own way).
	anthropicWhy string
}{
	{"/v1/embeddings", "Qwen's web chat has no embedding model", ""},
	{"/v1/moderations", "the proxy cannot moderate", ""},
	{"/v1/audio", "Qwen's web chat takes and gives no audio here", ""},
	{"/v1/files", "documents and images are sent inline in a message (a file part's file_data, an image_url)",
		"documents and images are sent inline in a message (an image or document block with a base64 source, or a text document)"},
	// Anthropic's Message Batches API (client.messages.batches.*), which
	// would otherwise be a "no route" under the Messages API's own path.
	{"/v1/messages/batches", "there is no Message Batches API here: send each message on its own (POST /v1/messages)", ""},
	{"/v1/uploads", "documents and images are sent inline in a message (a file part's file_data, an image_url)", ""},
	{"/v1/batches", "there is no Batch API here: send each call on its own", ""},
	{"/v1/fine_tuning", "Qwen's web models cannot be fine-tuned", ""},
	{"/v1/vector_stores", "there is no file search here", ""},
	{"/v1/assistants", "the Assistants API is not served: use Chat Completions or the Responses API", ""},
	{"/v1/threads", "the Assistants API is not served: use Chat Completions or the Responses API", ""},
	{"/v1/realtime", "there is no Realtime API here", ""},
	{"/v1/images/variations", "Qwen has no image variations: POST /v1/images/edits edits an image as a prompt asks", ""},
	// Its own path is a route (POST); below it are OpenAI's stored
	// completions (GET, POST and DELETE /v1/chat/completions/{id}, …).
	{"/v1/chat/completions", "stored chat completions are not served: every call is recorded, and the history API serves it (GET /v1/requests, admin keys)", ""},
}

// unsupportedAPI is the 404 for a call to an OpenAI or Anthropic API the
// proxy does not serve, or nil when path is none of them. Its code is the
// one POST /v1/responses/compact answers with.
func unsupportedAPI(r *http.Request) *openai.Error {
	for _, api := range unsupportedAPIs {
		if r.URL.Path == api.path || strings.HasPrefix(r.URL.Path, api.path+"/") {
			why := api.why
			if api.anthropicWhy != "" && anthropicClient(r) {
				why = api.anthropicWhy
			}
			return &openai.Error{Status: http.StatusNotFound, Type: openai.TypeInvalidRequest, Code: "unsupported_endpoint",
				Message: fmt.Sprintf("%s %s is not supported by qwenproxy: %s", clip(r.Method), clip(r.URL.Path), why)}
		}
	}
	return nil
}
