package server

import (
	"unicode/utf8"

	"qwenproxy/internal/httpjson"
	"qwenproxy/internal/redact"
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
	return truncated(b, len(b), limit, nil)
}

// recordMaskMargin is how much more than RECORD_MAX_BODY_BYTES of a body
// too long to keep is built and masked (the Qwen answer's record:
// translate.Answer.UpstreamRecordWithin): a secret that begins before the
// cut is masked whole before it is cut, if it is shorter than half this —
// a cookie's header, a token, a URL's password are — and a known value of
// any length has its beginning masked at the cut (redact.Known.CutTail).
const recordMaskMargin = 64 << 10

// recordWindow is how much of a body a record keeping at most limit bytes
// of it builds and masks: all of it (0) when limit does not bound it.
func recordWindow(limit int) int {
	if limit <= 0 {
		return 0
	}
	return limit + recordMaskMargin
}

// truncatedHead is the truncated form of a body of whole bytes of which
// head, its beginning built to recordWindow and masked, is all that was
// built: cut at least half recordMaskMargin before head's end, so that a
// secret across the cut was whole in what was masked, and with the
// beginning of any value the masks know masked at the cut.
func truncatedHead(head []byte, whole, limit int, masks ...*redact.Known) []byte {
	head = head[:max(0, len(head)-recordMaskMargin/2)]
	return truncated(head, whole, limit, func(b []byte) []byte {
		for _, k := range masks {
			b = k.CutTail(b)
		}
		return b
	})
}

// truncated is the marker of a body of whole bytes beginning with b, with
// as much of b as the limit leaves room for; cutTail, when given, masks
// what is left at the cut of a secret.
func truncated(b []byte, whole, limit int, cutTail func([]byte) []byte) []byte {
	n := max(0, limit-96) // room for the marker
	for {
		n = min(n, len(b))
		for n > 0 && n < len(b) && !utf8.RuneStart(b[n]) {
			n-- // never cut a character in two
		}
		kept := b[:n]
		if cutTail != nil {
			kept = cutTail(kept)
		}
		// Without escaping <, > and &: each took six bytes of the limit.
		out, _ := httpjson.Marshal(truncatedBody{Truncated: true, OriginalBytes: whole, Head: string(kept)})
		if len(out) <= limit || n == 0 {
			return out
		}
		n -= (len(out) - limit) // escapes took room: shorten by what is over
		n = max(n, 0)
	}
}
