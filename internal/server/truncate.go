package server

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// truncatedBody is what a recorded body over RECORD_MAX_BODY_BYTES is
// stored as: still JSON (the history API returns bodies as JSON), with a
// marker, the original size, and the body's beginning as text.
type truncatedBody struct {
	Truncated     bool   `json:"_truncated"`
	OriginalBytes int    `json:"_original_bytes"`
	Head          string `json:"_head"`
}

// truncateBody returns b, or its truncated form when it is over limit
// bytes; that form is at most limit bytes too (at least its marker).
func truncateBody(b []byte, limit int) []byte {
	if len(b) <= limit {
		return b
	}
	n := max(0, limit-96) // room for the marker
	for {
		for n > 0 && !utf8.RuneStart(b[n]) {
			n-- // never cut a character in two
		}
		out := marshalHead(truncatedBody{Truncated: true, OriginalBytes: len(b), Head: string(b[:n])})
		if len(out) <= limit || n == 0 {
			return out
		}
		n -= (len(out) - limit) // escapes took room: shorten by what is over
		n = max(n, 0)
	}
}

// marshalHead encodes t without escaping <, > and &: a body's beginning
// (HTML, code, Anthropic's XML-tagged prompts) reads as it was, and each
// such character takes one byte of the limit, not six (\u003c).
func marshalHead(t truncatedBody) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(t) // strings and numbers: cannot fail
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
