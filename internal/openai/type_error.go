package openai

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"

	"qwenproxy/internal/jsonscan"
	"qwenproxy/internal/typeerror"
)

// Type errors are worded by package typeerror, the same in every client
// API and at every depth.

// dottedPaths is a request of an API that words the array indexes of a
// parameter's path as names (Anthropic's messages.1.content.0.text) where
// OpenAI's brackets them (messages[1].content[0].text), and puts a colon
// after the path (its errors have no param field: "messages.1.role: must
// be a string, not a number").
type dottedPaths interface{ DottedPaths() }

// TypeError is the 400 for param's value v (valid JSON), which is not want
// ("a string", "an array of strings"): "<param> must be <want>, not <what
// v is>".
func TypeError(param, want string, v json.RawMessage) *Error {
	return InvalidRequest(param, "invalid_type", "%s must be %s, not %s", param, want, typeerror.Value(v))
}

// elementTypeError is TypeError for a list (container '[') or a map ('{')
// whose elements elem says are fit: when v is that container it names the
// first element that is not (stop[1], metadata.user_id: "must be a string,
// not null"), else v whole.
func elementTypeError(param, want string, v json.RawMessage, container byte, elemWant string, elem func(json.RawMessage) bool) *Error {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || v[0] != container {
		return TypeError(param, want, v)
	}
	var bad *Error
	each(v, func(name string, e json.RawMessage) bool {
		if !elem(e) {
			bad = TypeError(param+name, elemWant, e)
		}
		return bad == nil
	})
	return cmp.Or(bad, TypeError(param, want, v))
}

// elementsFit reports whether every element of the array, or member of the
// object, v is one elem takes (encoding/json reads a null as "" or 0, which
// the client did not send).
func elementsFit(v json.RawMessage, elem func(json.RawMessage) bool) bool {
	return each(bytes.TrimSpace(v), func(_ string, e json.RawMessage) bool { return elem(e) })
}

// each calls fn with each element of the array v ("[i]") or member of the
// object v (".key") until it returns false, and reports whether it never
// did.
func each(v json.RawMessage, fn func(name string, e json.RawMessage) bool) bool {
	ok := true
	switch {
	case len(v) > 0 && v[0] == '[':
		var list []json.RawMessage
		_ = json.Unmarshal(v, &list)
		for i, e := range list {
			if ok = fn(fmt.Sprintf("[%d]", i), e); !ok {
				break
			}
		}
	case len(v) > 0 && v[0] == '{':
		jsonscan.EachField(v, func(key string, e json.RawMessage) bool {
			ok = fn("."+key, e)
			return ok
		})
	}
	return ok
}

// isString and isNumber say whether a valid JSON value is one (a number
// too large for a float64 among them).
func isString(v json.RawMessage) bool { _, ok := jsonscan.StringValue(v); return ok }
func isNumber(v json.RawMessage) bool {
	return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9')
}
