package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"qwenproxy/internal/openai"
)

// writeError sends an API error envelope with its status.
func writeError(w http.ResponseWriter, e *openai.Error) { writeJSONError(w, e) }

// errorFormat writes an API error in one client API's envelope, with its
// status, and returns the body sent (for the record).
type errorFormat func(w http.ResponseWriter, e *openai.Error) []byte

// errorFormatFor is the envelope of the client API a path belongs to, so
// that the errors the guard and the router give (401, 404, 405, …) are ones
// the client's SDK can read.
func errorFormatFor(path string) errorFormat {
	if path == "/v1/messages" || strings.HasPrefix(path, "/v1/messages/") {
		return writeAnthropicError
	}
	return writeJSONError
}

// writeErrorFor sends e in the envelope of r's client API.
func writeErrorFor(w http.ResponseWriter, r *http.Request, e *openai.Error) {
	errorFormatFor(r.URL.Path)(w, e)
}

// writeJSONError is writeError returning the body sent, for the record.
func writeJSONError(w http.ResponseWriter, e *openai.Error) []byte {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	return writeJSON(w, e.Status, e)
}

// writeJSON sends v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"message":"could not encode the response","type":"server_error","param":null,"code":"internal_error"}}`)
	}
	writeBody(w, status, b)
	return b
}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b) // a client gone away is recorded by the caller, not here
}
