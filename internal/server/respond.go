package server

import (
	"encoding/json"
	"net/http"
	"strconv"

	"qwenproxy/internal/openai"
)

// writeError sends an API error envelope with its status.
func writeError(w http.ResponseWriter, e *openai.Error) { writeJSONError(w, e) }

// writeJSONError is writeError returning the body sent, for the record.
func writeJSONError(w http.ResponseWriter, e *openai.Error) []byte {
	b := errorJSON(e)
	sendJSONError(w, e, b)
	return b
}

// errorJSON is e's envelope.
func errorJSON(e *openai.Error) []byte {
	b, err := json.Marshal(e)
	if err != nil { // strings and numbers only: cannot happen
		return []byte(`{"error":{"message":"could not encode the error","type":"server_error","param":null,"code":"internal_error"}}`)
	}
	return b
}

// sendJSONError sends e's envelope b, with Retry-After when e has one.
func sendJSONError(w http.ResponseWriter, e *openai.Error, b []byte) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeBody(w, e.Status, b)
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
