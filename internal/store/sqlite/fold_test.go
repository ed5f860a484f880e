package sqlite

import "testing"

// A session search folds every letter's case, as strings.EqualFold
// compares, not ASCII alone as SQLite's lower() and LIKE do.
func TestContainsFold(t *testing.T) {
	for _, tc := range []struct {
		text, search string
		want         bool
	}{
		{"héllo wörld", "HÉLLO", true},
		{"HÉLLO WÖRLD", "héllo wö", true},
		{"Привет, мир", "ПРИВЕТ", true},
		{"ΣΊΣΥΦΟΣ", "σίσυφος", true}, // final sigma: Σ, σ and ς are one letter folded
		{"the \u212a of temperature", "k of", true},
		{"ſtraße", "STRASSE", false}, // simple folding: ß is not ss
		{"ſtraße", "STRAßE", true},
		{"plain ascii", "ASCII", true},
		{"plain ascii", "ascii!", false},
		{"héllo", "hello", false}, // accents are letters of their own
		{"anything", "", true},
		{"", "x", false},
	} {
		if got := containsFold(tc.text, tc.search); got != tc.want {
			t.Errorf("containsFold(%q, %q) = %v, want %v", tc.text, tc.search, got, tc.want)
		}
	}
}

// A search folds every first message it reads into a buffer kept for the
// next, not into a new copy each: 0 allocs/op (a benchmark, not a test: the
// race detector's sync.Pool drops buffers on purpose).
//
//	go test -run '^$' -bench ContainsFold -benchmem ./internal/store/sqlite
func BenchmarkContainsFold(b *testing.B) {
	text := "You are a helpful coding Agent. Refactor module 4999 of the billing service, the ÜBER module."
	b.ReportAllocs()
	for b.Loop() {
		containsFold(text, "MODULE 5000")
	}
}
