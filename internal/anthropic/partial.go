package anthropic

import (
	"encoding/json"
	"strings"
)

// maxPartialInput bounds the arguments closedInput reads (it tries each
// beginning of them): a cut call's arguments are seldom long.
const maxPartialInput = 64 << 10

// closedInput is the object a call's arguments began when they were cut
// short (the answer broke off, or its client left, while they streamed): the
// longest beginning of them that is valid JSON once its open string, arrays
// and objects are closed, as the Anthropic SDKs read a message cut short, so
// the record keeps what the client was sent ({"city": "Oslo" reads
// {"city": "Oslo"}). It is {} when none is an object.
func closedInput(s string) json.RawMessage {
	empty := json.RawMessage("{}")
	if len(s) > maxPartialInput || !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return empty
	}
	// closers[i] closes s[:i+1]: the brackets open after it, innermost
	// first, after a quote when it ends inside a string.
	closers := make([]string, len(s))
	var open []byte
	inString, escaped := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{':
			open = append(open, '}')
		case c == '[':
			open = append(open, ']')
		case (c == '}' || c == ']') && len(open) > 0:
			open = open[:len(open)-1]
		}
		var b strings.Builder
		if inString {
			if escaped {
				continue // a string cannot end inside an escape
			}
			b.WriteByte('"')
		}
		for j := len(open) - 1; j >= 0; j-- {
			b.WriteByte(open[j])
		}
		closers[i] = b.String()
	}
	// Each try decodes the whole candidate: the ends nearest the cut are
	// tried one by one (a cut key, literal or number is a few bytes long),
	// then only where a member or element ended before a comma or an object
	// or array began, so that arguments no end of which is valid JSON cost a
	// bounded number of tries, not one a byte.
	tries := 0
	for i := len(s) - 1; i >= 0 && tries < 2*nearTries; i-- {
		if closers[i] == "" && i != len(s)-1 {
			continue
		}
		if tries >= nearTries && !boundary(s, i, closers) {
			continue
		}
		tries++
		candidate := s[:i+1] + closers[i]
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(candidate), &obj) == nil && obj != nil {
			return json.RawMessage(candidate)
		}
	}
	return empty
}

// nearTries is how many ends of cut arguments closedInput tries byte by
// byte before it tries only the boundaries of members and elements.
const nearTries = 64

// boundary reports whether s cut after s[i] ends where a member or element
// may end or begin: just before a comma, or just after an opening bracket,
// outside a string (closers[i] then does not begin with a quote).
func boundary(s string, i int, closers []string) bool {
	if strings.HasPrefix(closers[i], `"`) {
		return false
	}
	if c := s[i]; c == '{' || c == '[' {
		return true
	}
	return i+1 < len(s) && s[i+1] == ','
}
