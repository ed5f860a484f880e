package openai

import (
	"bytes"
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

// checkElements is nil when v is the container (an array, '[', or an
// object, '{') and each element, or member's value, is one elem takes:
// else TypeError of the first that is not (stop[1], metadata.user_id: "must
// be a string, not null"), or of v whole when it is not the container.
func checkElements(param, want string, v json.RawMessage, container byte, elemWant string, elem func(json.RawMessage) bool) *Error {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || v[0] != container {
		return TypeError(param, want, v)
	}
	var bad *Error
	check := func(name string, e json.RawMessage) bool {
		if !elem(e) {
			bad = TypeError(param+name, elemWant, e)
		}
		return bad == nil
	}
	if container == '[' {
		i := 0
		jsonscan.EachElement(v, func(e []byte) bool {
			i++
			return check(fmt.Sprintf("[%d]", i-1), e)
		})
	} else {
		jsonscan.EachField(v, func(key string, e json.RawMessage) bool { return check("."+key, e) })
	}
	return bad
}

// isString and isNumber say whether a valid JSON value is one (a number
// too large for a float64 among them).
func isString(v json.RawMessage) bool { _, ok := jsonscan.StringValue(v); return ok }
func isNumber(v json.RawMessage) bool {
	return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9')
}
