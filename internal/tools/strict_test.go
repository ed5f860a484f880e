package tools

import (
	"encoding/json"
	"testing"
)

// A strict function's call is checked against its parameters; another
// function's, or a call that validates, is not a problem.
func TestCheckStrictFindsTheCallThatBreaksItsSchema(t *testing.T) {
	set, fe := ParseSet(json.RawMessage(`[
		{"type":"function","function":{"name":"get_time","strict":true,"parameters":{"type":"object","properties":{"tz":{"type":"string"}},"required":["tz"],"additionalProperties":false}}},
		{"type":"function","function":{"name":"loose","parameters":{"type":"object","required":["x"]}}}]`), nil)
	if fe != nil {
		t.Fatal(fe)
	}
	if !set.HasStrict() {
		t.Fatal("no strict tool found")
	}
	for args, want := range map[string]string{
		`{"tz":"UTC"}`:       "",
		`{}`:                 "at '/': missing property 'tz'",
		`{"tz":5}`:           "at '/tz': got number, want string",
		`{"tz":"UTC","x":1}`: "at '/': additional properties 'x' not allowed",
		`not json`:           "not valid JSON",
	} {
		got := set.CheckStrict([]Call{{Name: "loose", Arguments: `{}`}, {Name: "get_time", Arguments: args}})
		switch {
		case want == "" && got != nil:
			t.Errorf("%s: %v", args, got)
		case want != "" && (got == nil || got.Tool != "get_time" || got.Problem != want):
			t.Errorf("%s: %+v, want %q", args, got, want)
		}
	}
	var none *Set
	if none.HasStrict() || none.CheckStrict([]Call{{Name: "get_time"}}) != nil {
		t.Error("a request without tools has a strict one")
	}
}
