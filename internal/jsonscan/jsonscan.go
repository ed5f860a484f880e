// Package jsonscan finds the bounds of JSON values without decoding them,
// unescapes strings, and reads an object's fields as json.Unmarshal would:
// the request's field scanner, the client APIs' request decoders, the
// in-place editor of recorded bodies and Qwen's stream decoder read JSON
// with it.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// StringEnd returns the index of the quote that ends the string whose
// first byte is b[i], or -1. It jumps from quote to quote (IndexByte), a
// quote being escaped when an odd run of backslashes precedes it: a
// request is mostly long message texts, and a byte at a time through them
// was most of scanning it.
func StringEnd(b []byte, i int) int {
	start := i
	for {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return -1
		}
		q += i
		n := 0
		for q-1-n >= start && b[q-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return q
		}
		i = q + 1
	}
}

// SkipSpace returns the index of the first byte from i on that is not JSON
// whitespace.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// ValueEnd returns where the JSON value starting at b[i] ends, or -1. It
// finds the end (strings, nesting) without checking the value's grammar:
// json.Valid does that.
func ValueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	depth := 0
	for j := i; j < len(b); j++ {
		switch c := b[j]; c {
		case '"':
			if j = StringEnd(b, j+1); j < 0 {
				return -1
			}
			if depth == 0 {
				return j + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return j // ends a scalar: the enclosing object's brace
			}
			depth--
			if depth == 0 {
				return j + 1
			}
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return j
			}
		}
	}
	if depth == 0 {
		return len(b) // a scalar at the very end
	}
	return -1
}

// Unescape decodes the inside of a JSON string literal that has escapes, as
// encoding/json does. It reports false for an escape JSON does not have and
// for bytes that are not UTF-8 (encoding/json puts U+FFFD in their place:
// left to it). A surrogate without its pair becomes U+FFFD, and what
// follows it is read on its own.
func Unescape(raw []byte) (string, bool) {
	// Built in place (Builder.String does not copy).
	var out strings.Builder
	out.Grow(len(raw))
	if !UnescapeTo(&out, raw) {
		return "", false
	}
	return out.String(), true
}

// UnescapeTo is Unescape appending to out, what it wrote being the string.
// On false, out may hold part of it.
func UnescapeTo(out *strings.Builder, raw []byte) bool {
	if !utf8.Valid(raw) {
		return false
	}
	// A run of plain bytes at a time: an agent's prompt in lines is long
	// runs between \n.
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\\')
		if i < 0 {
			out.Write(raw)
			break
		}
		out.Write(raw[:i])
		if i+1 >= len(raw) {
			return false
		}
		n := 2 // the escape's length
		switch raw[i+1] {
		case '"', '\\', '/':
			out.WriteByte(raw[i+1])
		case 'n':
			out.WriteByte('\n')
		case 't':
			out.WriteByte('\t')
		case 'r':
			out.WriteByte('\r')
		case 'b':
			out.WriteByte('\b')
		case 'f':
			out.WriteByte('\f')
		case 'u':
			r, size, ok := unicodeEscape(raw[i:])
			if !ok {
				return false
			}
			n = size
			out.WriteRune(r)
		default:
			return false
		}
		raw = raw[i+n:]
	}
	return true
}

// IsHex4 reports whether b starts with four hexadecimal digits (a \u
// escape's).
func IsHex4(b []byte) bool {
	_, ok := hex4(b)
	return ok
}

// unicodeEscape reads the \uXXXX escape b starts with, and the one after
// it when the two are a surrogate pair: the rune, and the escape's length
// (6 or 12). A surrogate without its pair is U+FFFD, as encoding/json reads
// it, and what follows it is read on its own.
func unicodeEscape(b []byte) (r rune, n int, ok bool) {
	r, ok = hex4(b[2:])
	if !ok {
		return 0, 0, false
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, true
	}
	if rest := b[6:]; len(rest) >= 6 && rest[0] == '\\' && rest[1] == 'u' {
		if r2, ok := hex4(rest[2:]); ok {
			if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
				return pair, 12, true
			}
		}
	}
	return utf8.RuneError, 6, true
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// StringValue decodes v, a valid JSON value, when it is a string; ok is
// false for another type (tried on a long list, json.Unmarshal would scan
// all of it before refusing the type). Escapes go through Unescape; what it
// leaves (bytes that are not UTF-8) through encoding/json.
func StringValue(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	if s, ok := Unescape(inner); ok {
		return s, true
	}
	var s string
	return s, json.Unmarshal(v, &s) == nil
}
