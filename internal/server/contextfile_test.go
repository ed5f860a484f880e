package server

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The inline prompt keeps the text's end: whole lines when a line starts
// early enough, never half a rune, never more than asked.
func TestLastPartKeepsTheEndWithinItsBudget(t *testing.T) {
	text := "first line\nsecond line\nthird line, the request"
	if got := lastPart(text, 30); got != "third line, the request" {
		t.Fatalf("%q", got)
	}
	long := strings.Repeat("é", 100) // no newline: cut at a rune's start
	got := lastPart(long, 51)
	if !utf8.ValidString(got) || len(got) > 51 || !strings.HasSuffix(long, got) {
		t.Fatalf("%q", got)
	}
	if lastPart("short", 10) != "short" || lastPart("x", 0) != "" {
		t.Fatal("small cases")
	}
}
