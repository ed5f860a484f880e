package server

import (
	"net/http"
	"strings"

	"qwenproxy/internal/httpjson"
	"qwenproxy/internal/openai"
)

// errorFormat writes an API error in one client API's envelope, with its
// status, and returns the body sent (for the record).
type errorFormat func(w http.ResponseWriter, e *openai.Error) []byte

// errorFormatFor is the envelope of the client API a request belongs to,
// so that the errors the guard and the router give (401, 404, 405, …) are
// ones the client's SDK can read: Anthropic's on the Messages routes, and
// on any route (GET /v1/models, which both APIs share, a mistaken
// /v1/v1/messages) for a client that sends anthropic-version, as every
// Anthropic SDK does.
func errorFormatFor(r *http.Request) errorFormat {
	if anthropicClient(r) {
		return writeAnthropicError
	}
	return writeJSONError
}

// anthropicClient reports whether r comes from an Anthropic client: on a
// Messages route, or with the anthropic-version header.
func anthropicClient(r *http.Request) bool {
	return anthropicPath(r.URL.Path) || r.Header.Get("Anthropic-Version") != ""
}

// anthropicPath reports whether path is one of the Anthropic Messages API's.
func anthropicPath(path string) bool {
	return path == "/v1/messages" || strings.HasPrefix(path, "/v1/messages/")
}

// writeErrorFor sends e in the envelope of r's client API.
func writeErrorFor(w http.ResponseWriter, r *http.Request, e *openai.Error) {
	errorFormatFor(r)(w, e)
}

// writeJSONError sends an API error in OpenAI's envelope with its status and
// returns the body sent, for the record.
func writeJSONError(w http.ResponseWriter, e *openai.Error) []byte { return httpjson.Error(w, e) }

// writeJSON sends v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) []byte { return httpjson.JSON(w, status, v) }

func writeBody(w http.ResponseWriter, status int, b []byte) { httpjson.Body(w, status, b) }
