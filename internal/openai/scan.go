package openai

import "qwenproxy/internal/jsonscan"

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
