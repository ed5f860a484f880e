// Package typeerror words a JSON value of the wrong type the same way in
// every client API and at every depth: "<param> must be <Want>, not <Got>"
// ("messages[1].role must be a string, not a number", "top_k must be an
// integer, not 1.5"), its param the value's path with the index of every
// array element on the way (Param).
package typeerror

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"qwenproxy/internal/jsonscan"
)

// Want is what a field of Go type t takes from JSON, in words: "a
// string", "an integer" (a fraction for one is told it), "a number", "a
// boolean", "an array", "an object", or "JSON" for a raw value.
func Want(t reflect.Type) string {
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

// Got is what an UnmarshalTypeError's Value says the JSON held, in
// words: "a string", "a boolean", "an object", …, or the number itself when
// it gives one ("number 1.5": 1.5).
func Got(value string) string {
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

// Of reads err, from decoding raw (the value of param), when it is about a
// value of the wrong JSON type: path is that value's (param, then Param's
// path in raw: tools[1].function.name), what is "must be <Want>, not
// <Got>"; ok is false for any other error. path is param itself when the
// whole value has the wrong type.
func Of(param string, raw []byte, err error, dotted bool) (path, what string, ok bool) {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return "", "", false
	}
	path = Param(raw, te, dotted)
	switch {
	case path == "":
		path = param
	case param != "" && path[0] == '[':
		path = param + path
	case param != "":
		path = param + "." + path
	}
	return path, fmt.Sprintf("must be %s, not %s", Want(te.Type), Got(te.Value)), true
}

// Param is the parameter te (from decoding body) is about, with the
// index of every array element on its way, as OpenAI words a path or, dotted,
// as Anthropic does. encoding/json's Field has none ("messages.role",
// whichever message it was): the path is found again in body from te's
// Offset (jsonscan.PathTo), and kept only when its names are Field's (a
// json.Unmarshaler's error can carry an offset into its own bytes; then
// Field is all there is). A map's key below Field is named too
// (metadata.user_id).
func Param(body []byte, te *json.UnmarshalTypeError, dotted bool) string {
	field := jsonPath(te.Field)
	names := strings.Split(field, ".")
	if field == "" {
		names = nil
	}
	var b strings.Builder
	matched := 0
	for _, step := range jsonscan.PathTo(body, int(te.Offset)) {
		switch {
		case step.Element && dotted:
			b.WriteString(".")
			b.WriteString(strconv.Itoa(step.Index))
		case step.Element:
			b.WriteString("[" + strconv.Itoa(step.Index) + "]")
		default:
			if matched+1 < len(names) && !strings.EqualFold(step.Name, names[matched]) && strings.EqualFold(step.Name, names[matched+1]) {
				matched++ // an embedded struct's Go name all in lower case (inner)
			}
			if matched < len(names) {
				if !strings.EqualFold(step.Name, names[matched]) {
					return field
				}
				matched++
			}
			if b.Len() > 0 {
				b.WriteString(".")
			}
			b.WriteString(step.Name)
		}
	}
	if matched < len(names) {
		return field
	}
	return strings.TrimPrefix(b.String(), ".")
}

// jsonPath drops from an UnmarshalTypeError's Field the Go names of
// embedded structs, which encoding/json puts in the path
// ("Request.metadata.user_id"): the request fields' JSON names are all
// lower case.
func jsonPath(field string) string {
	for {
		head, rest, ok := strings.Cut(field, ".")
		if !ok || head == "" || !goName(head) {
			return field
		}
		field = rest
	}
}

// goName reports whether a segment of an UnmarshalTypeError's Field is an
// embedded struct's Go name (Request, allowedTools) rather than a JSON
// name, which in every client API is lower case, words joined by '_'.
func goName(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r >= 'A' && r <= 'Z' })
}

// Value is what the JSON value v is, in words: "a string", "an
// object", "an array", "a boolean", "null", or a number itself.
func Value(v json.RawMessage) string {
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
