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
		for flags := range uint8(4) {
			a := recordAnswer("chat", tc.content, tc.reasoning, "T", "https://a/", "", flags, 3)
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
