package qwensim

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// appendPyString writes what json.dumps(ensure_ascii=False) writes, byte
// for byte: here against the same rules applied a byte at a time, on
// strings of every kind of byte (escapes, control characters, DEL,
// multi-byte runes, broken UTF-8).
func TestAppendPyStringIsPythonsByteForByte(t *testing.T) {
	// Python's escapes, byte by byte: the short ones, \u00XX for the other
	// control characters and DEL, broken UTF-8 as U+FFFD, the rest as is.
	short := map[byte]string{'"': `\"`, '\\': `\\`, '\n': `\n`, '\r': `\r`, '\t': `\t`, '\b': `\b`, '\f': `\f`}
	reference := func(s string) string {
		out := `"`
		for len(s) > 0 {
			r, size := utf8.DecodeRuneInString(s)
			switch c := s[0]; {
			case short[c] != "":
				out += short[c]
			case c < 0x20 || c == 0x7f:
				out += fmt.Sprintf(`\u%04x`, c)
			case r == utf8.RuneError && size == 1:
				out += `\ufffd`
			default:
				out += s[:size]
			}
			s = s[size:]
		}
		return out + `"`
	}
	pieces := []string{"a", "Hello, world", `"`, `\`, "\n", "\x01", "\x1f", "\x7f", " ", "é", "中文", "😀", "\xff", "\xe4\xb8", "\u2028", "<&>"}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		var s string
		for range rng.IntN(12) {
			s += pieces[rng.IntN(len(pieces))]
		}
		if got, want := string(appendPyString(nil, s)), reference(s); got != want {
			t.Fatalf("%q: %s, want %s", s, got, want)
		}
	}
}
