// Package httpjson writes JSON bodies and OpenAI-shaped error envelopes, for
// every HTTP surface of the proxy (the model routes and the history API).
package httpjson

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"

	"qwenproxy/internal/openai"
)

// Error sends an API error envelope with its status and returns the body
// sent, for the record.
func Error(w http.ResponseWriter, e *openai.Error) []byte {
	RetryHeaders(w.Header(), e)
	return JSON(w, e.Status, e)
}

// maxClientRetryWait is the longest Retry-After (seconds) a client is left
// to wait for within its call.
const maxClientRetryWait = 60

// RetryHeaders tells the SDKs whether and when to retry after e: its
// RetryAfter as Retry-After, and X-Should-Retry: false for a final failure
// or a wait longer than maxClientRetryWait (an account's daily quota:
// hours) — the OpenAI and Anthropic SDKs sleep for any Retry-After before
// retrying, so they would hold the call for hours, while with that header
// they raise their rate-limit error at once.
func RetryHeaders(h http.Header, e *openai.Error) {
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	if NotToRetry(e) {
		h.Set("X-Should-Retry", "false")
	}
}

// NotToRetry is whether the client is told not to retry e (X-Should-Retry:
// false): a final failure, or a wait longer than maxClientRetryWait.
func NotToRetry(e *openai.Error) bool {
	return e.Final || e.RetryAfter > maxClientRetryWait
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
// Bytes that are not UTF-8 in such a body (kept as the client sent them)
// come back as U+FFFD, as encoding/json writes a string's: JSON text is
// UTF-8, and a strict reader refuses the line otherwise.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := NewEncoder(&b).Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// NewEncoder is json.NewEncoder without HTML escaping, writing UTF-8 only
// (see Marshal).
func NewEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(utf8Writer{w})
	enc.SetEscapeHTML(false)
	return enc
}

// utf8Writer replaces what is not UTF-8 in each write by U+FFFD. An
// Encoder writes each value whole, in one write: no sequence is split.
type utf8Writer struct{ w io.Writer }

func (u utf8Writer) Write(p []byte) (int, error) {
	if utf8.Valid(p) {
		return u.w.Write(p)
	}
	if _, err := u.w.Write(bytes.ToValidUTF8(p, []byte("\uFFFD"))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Body sends b, already JSON, with status.
func Body(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b) // a client gone away is recorded by the caller, not here
}
