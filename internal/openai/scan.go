package openai

import (
	"encoding/json"
	"unicode/utf8"

	"qwenproxy/internal/jsonscan"
)

// EachField calls fn with every top-level field of the JSON object body, in
// order: its name and its value, a slice of body (no copy: a 10 MB message
// is not copied to be looked at). It reports false, having stopped, when
// body is not an object of name-value pairs; fn returns false to stop early.
// A value's bounds are found (strings, nesting) but its grammar is not
// checked: json.Valid is the caller's, for the values it reads (the large
// ones, messages and tools, are checked once, by the decoder).
func EachField(body []byte, fn func(name string, v json.RawMessage) bool) bool {
	i := jsonscan.SkipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return false
	}
	i = jsonscan.SkipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return jsonscan.SkipSpace(body, i+1) == len(body)
	}
	for {
		end := jsonscan.ValueEnd(body, i)
		if end < 0 || body[i] != '"' {
			return false
		}
		name, ok := unescapedString(body[i:end])
		if !ok && json.Unmarshal(body[i:end], &name) != nil {
			return false
		}
		i = jsonscan.SkipSpace(body, end)
		if i >= len(body) || body[i] != ':' {
			return false
		}
		start := jsonscan.SkipSpace(body, i+1)
		end = jsonscan.ValueEnd(body, start)
		if end < 0 || end == start {
			return false
		}
		if !fn(name, body[start:end:end]) {
			return true
		}
		var last bool
		if i, last = afterValue(body, end, '}'); last {
			return i == len(body)
		}
	}
}

// afterValue steps over what follows a member or element that ends at end:
// a comma (it returns where the next one starts) or the closing bracket
// (last; it returns where what follows it starts, past space, or -1 when
// neither follows).
func afterValue(b []byte, end int, closing byte) (i int, last bool) {
	i = jsonscan.SkipSpace(b, end)
	switch {
	case i < len(b) && b[i] == ',':
		return jsonscan.SkipSpace(b, i+1), false
	case i < len(b) && b[i] == closing:
		return jsonscan.SkipSpace(b, i+1), true
	}
	return -1, true
}

// Depth is the deepest nesting of objects and arrays in body, found by one
// scan before any decoding (a bound on it keeps a hostile body from
// exhausting the decoder's stack).
func Depth(body []byte) int {
	depth, deepest := 0, 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '"':
			if i = jsonscan.StringEnd(body, i+1); i < 0 {
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
