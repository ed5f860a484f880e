package server

import (
	"unicode/utf8"

	"qwenproxy/internal/httpjson"
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
		// Without escaping <, > and &: each took six bytes of the limit.
		out, _ := httpjson.Marshal(truncatedBody{Truncated: true, OriginalBytes: len(b), Head: string(b[:n])})
		if len(out) <= limit || n == 0 {
			return out
		}
		n -= (len(out) - limit) // escapes took room: shorten by what is over
		n = max(n, 0)
	}
}
