package translate

import (
	"bytes"
	"strings"
	"testing"
)

// UpstreamRecordWithin is UpstreamRecord's beginning, at least limit bytes
// of it, and the whole's length, for texts longer than the pieces it
// writes them in: characters of several bytes, escapes and invalid UTF-8
// across a piece's edge are written as a whole text's are.
func TestUpstreamRecordWithinIsTheRecordsBeginning(t *testing.T) {
	long := func(unit string) string { return strings.Repeat(unit, 3*recordPiece/len(unit)+1) }
	for _, tc := range []struct{ content, reasoning string }{
		{long("word "), ""},
		{long("é<\"\n"), long("thinking \u2028 ")},
		{"short", long("日本語")},
		{long("a\xe2\x80") + "\xff", "x"},
		{long("\xf0\x9f\x98\x80b"), ""},
	} {
		for flags := range uint8(12) {
			a := recordAnswer("chat", tc.content, tc.reasoning, "T", "https://a/", "", flags&3, 3)
			if d := flags >> 2; d > 0 {
				// The texts in deltas, kept in pieces: cut within
				// characters (d 1), or only between them (d 2).
				a.content, a.reasoning = inDeltas(tc.content, d == 2), inDeltas(tc.reasoning, d == 2)
			}
			whole := a.UpstreamRecord()
			for _, limit := range []int{0, 1, 1000, recordPiece - 1, recordPiece + 7, 2 * recordPiece, len(whole), len(whole) + 1} {
				head, n := a.UpstreamRecordWithin(limit)
				if n != len(whole) || !bytes.HasPrefix(whole, head) || len(head) < min(limit, len(whole)) ||
					(limit <= 0 && len(head) != len(whole)) || len(head) > max(limit, 0)+8*recordPiece && limit > 0 {
					t.Fatalf("limit %d: %d bytes of %d (whole %d), a prefix: %v", limit, len(head), n, len(whole), bytes.HasPrefix(whole, head))
				}
			}
		}
	}
}

// inDeltas is s written to a Text in deltas of about 4 KiB, cut anywhere
// or, whole, between characters only.
func inDeltas(s string, whole bool) Text {
	var t Text
	for s != "" {
		n := min(4099, len(s))
		if whole {
			n = runeCut(s, n)
		}
		t.WriteString(s[:n])
		s = s[n:]
	}
	return t
}
