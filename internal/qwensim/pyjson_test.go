package qwensim

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// appendPyString writes what json.dumps(ensure_ascii=False) writes, byte
// for byte: here against the same rules applied a byte at a time, on
// strings of every kind of byte (escapes, control characters, DEL,
// multi-byte runes, broken UTF-8).
func TestAppendPyStringIsPythonsByteForByte(t *testing.T) {
	reference := func(s string) string {
		b := []byte{'"'}
		for i := 0; i < len(s); {
			c := s[i]
			if c >= utf8.RuneSelf {
				r, size := utf8.DecodeRuneInString(s[i:])
				if r == utf8.RuneError && size == 1 {
					b = append(b, `\ufffd`...)
				} else {
					b = append(b, s[i:i+size]...)
				}
				i += size
				continue
			}
			switch c {
			case '"':
				b = append(b, `\"`...)
			case '\\':
				b = append(b, `\\`...)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			case '\b':
				b = append(b, `\b`...)
			case '\f':
				b = append(b, `\f`...)
			default:
				if c < 0x20 || c == 0x7f {
					b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
				} else {
					b = append(b, c)
				}
			}
			i++
		}
		return string(append(b, '"'))
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
