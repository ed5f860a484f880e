package server

import (
	"encoding/json"
	"strings"
	"testing"

	"qwenproxy/internal/redact"
)

func TestRecordedBodiesAreTruncatedToJSONWithAMarker(t *testing.T) {
	small := []byte(`{"a":1}`)
	if got := truncateBody(small, 100); string(got) != string(small) {
		t.Fatalf("a body under the limit changed: %s", got)
	}
	for _, body := range []string{
		`{"content":"` + strings.Repeat("x", 5000) + `"}`,
		`{"content":"` + strings.Repeat("é\"\n", 3000) + `"}`, // escapes and multi-byte characters
		// Markup keeps its characters (each took six bytes as \u003c).
		`{"content":"` + strings.Repeat("<b>a&amp;b</b>", 500) + `"}`,
	} {
		got := truncateBody([]byte(body), 1000)
		var v truncatedBody
		if err := json.Unmarshal(got, &v); err != nil || !v.Truncated || v.OriginalBytes != len(body) || len(got) > 1000 ||
			!strings.HasPrefix(body, v.Head) || len(v.Head) < 400 || strings.Contains(string(got), `\u003c`) {
			t.Fatalf("truncated to %d bytes: %+v %v", len(got), v, err)
		}
	}
}

// A body too long to keep is masked only as far as its record keeps it and
// a margin (truncatedHead): a known value longer than the margin can take
// across the cut has what is left of it at the cut masked.
func TestATruncatedHeadKeepsNoBeginningOfAKnownValue(t *testing.T) {
	const limit = 2048
	secret := "tok-" + strings.Repeat("0123456789", 10)
	known := redact.NewKnown("", secret)
	head := []byte(strings.Repeat("a", limit-96-50) + secret + strings.Repeat("b", recordMaskMargin))
	got := truncatedHead(head, 1<<30, limit, nil, known)
	var v truncatedBody
	if err := json.Unmarshal(got, &v); err != nil || !v.Truncated || v.OriginalBytes != 1<<30 || len(got) > limit ||
		!strings.HasSuffix(v.Head, redact.Placeholder) || strings.Contains(v.Head, secret[:redact.MinCutTail]) {
		t.Fatalf("truncated to %d bytes: %.80s…%s (%v)", len(got), v.Head, v.Head[max(0, len(v.Head)-60):], err)
	}
}
