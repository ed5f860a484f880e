package openai

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"qwenproxy/internal/jsonscan"
)

// The words of a type error, the same in every client API and at every
// depth: "<param> must be <TypeWords>, not <ValueWords>" ("messages[1].role
// must be a string, not a number", "top_k must be an integer, not 1.5").

// TypeWords is what a field of Go type t takes from JSON, in words: "a
// string", "an integer" (a fraction for one is told it), "a number", "a
// boolean", "an array", "an object", or "JSON" for a raw value.
func TypeWords(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[json.RawMessage]() {
		return "JSON"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map, reflect.Interface:
		return "an object"
	}
	return "a " + t.Kind().String()
}

// ValueWords is what an UnmarshalTypeError's Value says the JSON held, in
// words: "a string", "a boolean", "an object", …, or the number itself when
// it gives one ("number 1.5": 1.5).
func ValueWords(value string) string {
	if n, ok := strings.CutPrefix(value, "number "); ok {
		return n
	}
	switch value {
	case "bool":
		return "a boolean"
	case "object", "array":
		return "an " + value
	case "":
		return "a value of another type"
	}
	return "a " + value
}

// TypeError is the 400 for param's value v (valid JSON), which is not want
// ("a string", "an array of strings"): "<param> must be <want>, not <what
// v is>".
func TypeError(param, want string, v json.RawMessage) *Error {
	return InvalidRequest(param, "invalid_type", "%s must be %s, not %s", param, want, RawWords(v))
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

// RawWords is what the JSON value v is, in words: "a string", "an
// object", "an array", "a boolean", "null", or a number itself.
func RawWords(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "a value of another type"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	if len(v) > 40 {
		return string(v[:40]) + "…"
	}
	return string(v)
}
