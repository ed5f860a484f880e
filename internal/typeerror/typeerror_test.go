package typeerror

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// The words of each side of a type error.
func TestWords(t *testing.T) {
	for typ, want := range map[reflect.Type]string{
		reflect.TypeFor[string]():          "a string",
		reflect.TypeFor[*int]():            "an integer",
		reflect.TypeFor[float64]():         "a number",
		reflect.TypeFor[bool]():            "a boolean",
		reflect.TypeFor[[]string]():        "an array",
		reflect.TypeFor[map[string]int]():  "an object",
		reflect.TypeFor[struct{}]():        "an object",
		reflect.TypeFor[json.RawMessage](): "JSON",
	} {
		if got := Want(typ); got != want {
			t.Errorf("Want(%v) = %q, want %q", typ, got, want)
		}
	}
	for value, want := range map[string]string{"number 1.5": "1.5", "number": "a number", "bool": "a boolean", "array": "an array", "object": "an object", "string": "a string", "": "a value of another type"} {
		if got := Got(value); got != want {
			t.Errorf("Got(%q) = %q, want %q", value, got, want)
		}
	}
	for v, want := range map[string]string{`"x"`: "a string", ` {}`: "an object", `[1]`: "an array", `true`: "a boolean", `null`: "null", `-1e400`: "-1e400",
		`12345678901234567890123456789012345678901234567890`: "1234567890123456789012345678901234567890…"} {
		if got := Value(json.RawMessage(v)); got != want {
			t.Errorf("Value(%s) = %q, want %q", v, got, want)
		}
	}
}

// Param finds the path of encoding/json's own error, indexes and all, past
// embedded structs' Go names (Request, allowedTools), in either API's style.
func TestParam(t *testing.T) {
	type inner struct {
		Mode string `json:"mode"`
	}
	var dst struct {
		inner
		List []struct {
			Name string `json:"name"`
		} `json:"list"`
	}
	for body, want := range map[string][2]string{
		`{"list":[{"name":"a"},{"name":1}]}`: {"list[1].name", "list.1.name"},
		`{"mode":[]}`:                        {"mode", "mode"},
		`{"list":{}}`:                        {"list", "list"},
	} {
		var te *json.UnmarshalTypeError
		if !errors.As(json.Unmarshal([]byte(body), &dst), &te) {
			t.Fatalf("%s: no type error", body)
		}
		if got := Param([]byte(body), te, false); got != want[0] {
			t.Errorf("%s: %q, want %q", body, got, want[0])
		}
		if got := Param([]byte(body), te, true); got != want[1] {
			t.Errorf("%s dotted: %q, want %q", body, got, want[1])
		}
	}
}
