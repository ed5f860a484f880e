package openai

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// eachField calls fn with every top-level field of the JSON object body, in
// order: its name and its value, a slice of body (no copy: a 10 MB message
// is not copied to be looked at). It reports false, having stopped, when
// body is not an object of name-value pairs; fn returns false to stop early.
// A value's bounds are found (strings, nesting) but its grammar is not
// checked: json.Valid is the caller's, for the values it reads (the large
// ones, messages and tools, are checked once, by the decoder).
func eachField(body []byte, fn func(name string, v json.RawMessage) bool) bool {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return false
	}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return skipSpace(body, i+1) == len(body)
	}
	for {
		end := valueEnd(body, i)
		if end < 0 || body[i] != '"' {
			return false
		}
		name, ok := unescapedString(body[i:end])
		if !ok && json.Unmarshal(body[i:end], &name) != nil {
			return false
		}
		i = skipSpace(body, end)
		if i >= len(body) || body[i] != ':' {
			return false
		}
		start := skipSpace(body, i+1)
		end = valueEnd(body, start)
		if end < 0 || end == start {
			return false
		}
		if !fn(name, body[start:end:end]) {
			return true
		}
		i = skipSpace(body, end)
		switch {
		case i < len(body) && body[i] == ',':
			i = skipSpace(body, i+1)
		case i < len(body) && body[i] == '}':
			return skipSpace(body, i+1) == len(body)
		default:
			return false
		}
	}
}

// stringEnd returns the index of the quote that ends the string whose
// first byte is b[i], or -1. It jumps from quote to quote (IndexByte), a
// quote being escaped when an odd run of backslashes precedes it: a
// request is mostly long message texts, and a byte at a time through them
// was most of scanning it.
func stringEnd(b []byte, i int) int {
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

// Depth is the deepest nesting of objects and arrays in body, found by one
// scan before any decoding (a bound on it keeps a hostile body from
// exhausting the decoder's stack).
func Depth(body []byte) int {
	depth, deepest := 0, 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '"':
			if i = stringEnd(body, i+1); i < 0 {
				return deepest // unterminated: the decoder says so
			}
		case '{', '[':
			depth++
			deepest = max(deepest, depth)
		case '}', ']':
			depth--
		}
	}
	return deepest
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns where the JSON value starting at b[i] ends, or -1. It
// finds the end (strings, nesting) without checking the value's grammar:
// json.Valid does that.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	depth := 0
	for j := i; j < len(b); j++ {
		switch c := b[j]; c {
		case '"':
			if j = stringEnd(b, j+1); j < 0 {
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

// unescapedString reads the JSON string lit (quotes included) without
// encoding/json when it has no escapes and is valid UTF-8, as every field
// name of a request and most message texts are (encoding/json scans such a
// text twice: a tenth of a millisecond for an agent's 30 KB system prompt);
// ok is false for anything else, which is decoded the full way.
func unescapedString(lit []byte) (s string, ok bool) {
	if len(lit) < 2 || lit[0] != '"' || lit[len(lit)-1] != '"' {
		return "", false
	}
	inner := lit[1 : len(lit)-1]
	ascii := true
	for _, c := range inner {
		if c < 0x20 || c == '\\' || c == '"' {
			return "", false
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	if !ascii && !utf8.Valid(inner) {
		return "", false // encoding/json puts U+FFFD in its place
	}
	return string(inner), true
}
