package openai

import "testing"

// FuzzDepth holds Depth, which jumps through strings, to a scan of every
// byte (the one it replaced).
func FuzzDepth(f *testing.F) {
	for _, seed := range []string{`{"a":[1,{"b":"}]\"{"}]}`, `[[["\\"]]]`, `{"x":"\\\\"}`, `"unterminated {`, `{"a":"b\"[["}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		depth, want, inString := 0, 0, false
		for i := 0; i < len(body); i++ {
			switch c := body[i]; {
			case inString:
				if c == '\\' {
					i++
				} else if c == '"' {
					inString = false
				}
			case c == '"':
				inString = true
			case c == '{' || c == '[':
				depth++
				want = max(want, depth)
			case c == '}' || c == ']':
				depth--
			}
		}
		if got := Depth(body); got != want {
			t.Fatalf("Depth(%q) = %d, want %d", body, got, want)
		}
	})
}
