package jsonscan

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzUnescape holds Unescape to encoding/json: whatever valid JSON string
// it reads, it reads alike, and it reads every one that is UTF-8.
func FuzzUnescape(f *testing.F) {
	for _, seed := range []string{`plain`, `a\nb\t\"q\"\\`, `\u00e9\ud83d\ude00`, `\ud800\u0041`, `\udc00\ud800`, `\ud800`, `\ud800\ud800\udc00`, `\/\b\f\r`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, inner []byte) {
		lit := append(append([]byte{'"'}, inner...), '"')
		var want string
		valid := json.Unmarshal(lit, &want) == nil
		got, ok := Unescape(inner)
		if ok && valid && got != want {
			t.Fatalf("%q: Unescape %q, encoding/json %q", inner, got, want)
		}
		if valid && utf8.Valid(inner) && !ok {
			t.Fatalf("%q: Unescape refuses what encoding/json reads as %q", inner, want)
		}
	})
}

// TestUnescapeLoneSurrogates: a surrogate without its pair is U+FFFD and
// the escape after it is read on its own (Qwen's stream decoder swallowed
// it: "\ud800\u0041" gave "\uFFFD", not "\uFFFDA").
func TestUnescapeLoneSurrogates(t *testing.T) {
	for in, want := range map[string]string{`\ud800\u0041`: "\uFFFDA", `\udc00\ud800`: "\uFFFD\uFFFD", `\ud83d\ude00`: "\U0001F600", `x\ud800`: "x\uFFFD"} {
		if got, ok := Unescape([]byte(in)); !ok || got != want {
			t.Errorf("%s: %q, %v; want %q", in, got, ok, want)
		}
	}
}
