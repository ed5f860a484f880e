package qwensim

import (
	"strings"
	"testing"
)

// An answer padded to AnswerWords stops at the first filler sentence that
// reaches it, the words counted as the answer's text has them.
func TestAnAnswerIsPaddedToItsWords(t *testing.T) {
	if got := len(strings.Fields(" Filler sentence number 12 keeps the answer long.")); got != fillerWords {
		t.Fatalf("the filler sentence has %d words, fillerWords says %d", got, fillerWords)
	}
	for _, want := range []int{1, 50, 200, 201, 207, 1000} {
		s := New(Options{AnswerWords: want})
		c := &chat{nodes: map[string]*node{"u": {id: "u", role: "user", content: "benchmark"}}}
		got := len(strings.Fields(s.compose(c, "u", nil)))
		if got < want || got >= want+fillerWords {
			t.Errorf("AnswerWords %d: %d words", want, got)
		}
	}
}
