// Package jsonscan finds the bounds of JSON values without decoding them:
// the request's field scanner, the chat request's decoder and the in-place
// editor of recorded bodies walk a body with it.
package jsonscan

import "bytes"

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
