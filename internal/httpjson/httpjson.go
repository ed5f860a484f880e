// Package httpjson writes JSON bodies and OpenAI-shaped error envelopes, for
// every HTTP surface of the proxy (the model routes and the history API).
package httpjson

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"qwenproxy/internal/openai"
)

// Error sends an API error envelope with its status and returns the body
// sent, for the record.
func Error(w http.ResponseWriter, e *openai.Error) []byte {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	return JSON(w, e.Status, e)
}

// JSON sends v as JSON with status and returns the body sent.
func JSON(w http.ResponseWriter, status int, v any) []byte {
	b, err := Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"message":"could not encode the response","type":"server_error","param":null,"code":"internal_error"}}`)
	}
	Body(w, status, b)
	return b
}

// Marshal is json.Marshal without HTML escaping: a recorded body read back
// (json.RawMessage) keeps its "<", ">" and "&" as sent rather than coming
// back as \u003c, \u003e and \u0026, and model text reads as OpenAI's does.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := NewEncoder(&b).Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// NewEncoder is json.NewEncoder without HTML escaping (see Marshal).
func NewEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// Body sends b, already JSON, with status.
func Body(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b) // a client gone away is recorded by the caller, not here
}
