package translate

import (
	"runtime"
	"strings"
	"testing"
)

// A Text is its deltas joined, whatever their sizes, before and after its
// whole was asked for, and its pieces are the whole's.
func TestTextIsItsDeltasJoined(t *testing.T) {
	for _, size := range []int{1, 100, 5000, textPiece - 1, textPiece, 3*textPiece + 5} {
		var text Text
		var want strings.Builder
		for i := range 40 {
			delta := strings.Repeat(string(rune('a'+i%26)), size/(1+i%3)+1)
			text.WriteString(delta)
			want.WriteString(delta)
			if text.Len() != want.Len() {
				t.Fatalf("delta size %d: Len %d, want %d", size, text.Len(), want.Len())
			}
			if i%7 == 3 && text.String() != want.String() {
				t.Fatalf("delta size %d, %d deltas: not the deltas joined", size, i+1)
			}
			if strings.Join(text.Pieces(), "") != want.String() {
				t.Fatalf("delta size %d, %d deltas: pieces not the deltas", size, i+1)
			}
		}
		if text.String() != want.String() || text.String() != want.String() {
			t.Fatalf("delta size %d: not the deltas joined", size)
		}
		text.Reset()
		if text.Len() != 0 || text.String() != "" || len(text.Pieces()) != 0 {
			t.Fatalf("delta size %d: Reset left %d bytes", size, text.Len())
		}
	}
}

// A long text, in small deltas or large ones, and then its whole, allocate
// about twice the text: its pieces and their join. A strings.Builder grown
// a quarter at a time allocated five times it (as this text did until
// 2026-12-07).
func TestALongTextAllocatesAboutTwiceItself(t *testing.T) {
	const length = 16 << 20
	for _, size := range []int{4 << 10, 1 << 20} {
		delta := strings.Repeat("x", size)
		var text Text
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for text.Len() < length {
			text.WriteString(delta)
		}
		whole := text.String()
		runtime.ReadMemStats(&after)
		perByte := float64(after.TotalAlloc-before.TotalAlloc) / float64(len(whole))
		if perByte > 2.2 {
			t.Errorf("deltas of %d bytes: %.2f bytes allocated a byte of text, want at most 2.2", size, perByte)
		}
	}
}
