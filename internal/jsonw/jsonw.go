// Package jsonw appends JSON values to a byte slice exactly as encoding/json
// encodes them, for the bodies a call builds on every request (the Qwen
// request, the recorded Qwen answer), where encoding/json's reflection was
// a measurable part of a call. Tests hold each function to encoding/json.
package jsonw

import (
	"strconv"
	"unicode/utf8"
)

const hex = "0123456789abcdef"

// plain marks the ASCII bytes encoding/json writes as they are: all but the
// control characters below space, `"`, `\` and the HTML-special `<`, `>`,
// `&` (DEL is written as it is).
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// String appends s as json.Marshal encodes a string: HTML-special
// characters, U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD.
func String(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Key appends s as an object key and its colon.
func Key(b []byte, s string) []byte { return append(String(b, s), ':') }

// Bool appends true or false.
func Bool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

// Int appends v in decimal.
func Int(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

// StringOrNull appends *p as a string, or null for nil.
func StringOrNull(b []byte, p *string) []byte {
	if p == nil {
		return append(b, "null"...)
	}
	return String(b, *p)
}

// Strings appends a string slice as json.Marshal does: null for nil.
func Strings(b []byte, list []string) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = String(b, s)
	}
	return append(b, ']')
}
