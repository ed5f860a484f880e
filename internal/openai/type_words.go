package openai

import (
	"encoding/json"
	"reflect"
	"strings"
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
