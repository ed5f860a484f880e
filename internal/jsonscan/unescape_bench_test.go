package jsonscan

import (
	"strings"
	"testing"
)

// BenchmarkUnescape is a 33 KB text in lines (an agent's prompt: long
// runs between escaped newlines), unescaped.
//
//	go test -run '^$' -bench Unescape ./internal/jsonscan
func BenchmarkUnescape(b *testing.B) {
	raw := []byte(strings.Repeat(`You are a careful coding agent.\n`, 1000))
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Unescape(raw); !ok {
			b.Fatal("refused")
		}
	}
}
