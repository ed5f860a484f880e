package structured

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/openai"
)

func compile(t *testing.T, schema string) *Format {
	t.Helper()
	f, err := Compile(&openai.ResponseFormat{Type: "json_schema", Name: "answer", Schema: json.RawMessage(schema)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCheckFindsTheJSONAndValidatesIt(t *testing.T) {
	f := compile(t, `{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}`)
	for answer, want := range map[string]string{
		`{"n": 1}`:                                `{"n": 1}`,
		"Sure:\n```json\n{\"n\": 2}\n```\nDone.":  `{"n": 2}`,
		"Here you go {\"n\": 3} — anything else?": `{"n": 3}`,
		"```\n{\"n\": 4}\n```":                    `{"n": 4}`,
	} {
		got, err := f.Check(answer)
		if err != nil || got != want {
			t.Errorf("%q: %q %v", answer, got, err)
		}
	}
	for answer, why := range map[string]string{
		`no json here`:   "no JSON",
		`{"n": "one"}`:   "schema",
		`{"m": 1}`:       "schema",
		`{"n": 1`:        "not valid JSON",
		`{"n": 1} {"n"}`: "not valid JSON",
	} {
		if _, err := f.Check(answer); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%q: %v, want %q", answer, err, why)
		}
	}
	obj, _ := Compile(&openai.ResponseFormat{Type: "json_object"})
	if _, err := obj.Check(`[1, 2]`); err == nil {
		t.Error("json_object accepted an array")
	}
	if got, err := obj.Check("```json\n{}\n```"); err != nil || got != "{}" {
		t.Errorf("json_object: %q %v", got, err)
	}
}

// A schema may not make the proxy read files (or fetch URLs).
func TestSchemasLoadNothing(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "schema.json")
	if err := os.WriteFile(secret, []byte(`{"type":"string"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"file://" + secret, "http://127.0.0.1:1/schema.json"} {
		_, err := Compile(&openai.ResponseFormat{Type: "json_schema", Name: "x", Schema: json.RawMessage(`{"$ref":"` + ref + `"}`)})
		var fe *FieldError
		if err == nil || !errors.As(err, &fe) || fe.Param != "response_format.json_schema.schema" {
			t.Errorf("$ref %s: %v", ref, err)
		}
	}
	if _, err := Compile(&openai.ResponseFormat{Type: "json_schema", Name: "x", Schema: json.RawMessage(`{"type": 12}`)}); err == nil {
		t.Error("an invalid schema compiled")
	}
}

// An invalid schema is told in one line, where and what, as a tool's
// parameters are: it was the validator's whole report, naming the proxy's
// internal URN and the meta-schema's URL, and every branch it tried.
func TestAnInvalidSchemaIsToldWhereAndWhat(t *testing.T) {
	_, err := Compile(&openai.ResponseFormat{Type: "json_schema", Name: "x", Schema: json.RawMessage(`{"properties":{"a":{"type":"strin"}}}`)})
	const want = "is not a valid JSON Schema: at '/properties/a/type': value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'"
	if err == nil || err.Message != want {
		t.Fatalf("%v, want %s", err, want)
	}
	_, err = Compile(&openai.ResponseFormat{Type: "json_schema", Name: "x", Schema: json.RawMessage(`{"$ref":"#/$defs/nope"}`)})
	if err == nil || strings.Contains(err.Message, "urn:") || !strings.Contains(err.Message, `"#/$defs/nope" not found`) {
		t.Fatalf("a $ref to nothing: %v", err)
	}
}

// An answer that breaks the schema is told every problem, in one line each
// where and what (the corrective turn's words and the 502's): it was the
// validator's report, naming the proxy's internal URN.
func TestAnAnswerIsToldEveryProblem(t *testing.T) {
	f := compile(t, `{"type":"object","properties":{"b":{"type":"string"}},"required":["b"],"additionalProperties":false}`)
	_, err := f.Check(`{"a": 1}`)
	const want = "the answer does not match the schema: at '/': missing property 'b'; at '/': additional properties 'a' not allowed"
	if err == nil || err.Error() != want {
		t.Fatalf("%v, want %s", err, want)
	}
}

func TestInstructionsCarryTheSchema(t *testing.T) {
	f := compile(t, `{"type": "object",  "properties": {}}`)
	if s := f.Instructions(); !strings.Contains(s, `{"type":"object","properties":{}}`) || !strings.Contains(s, `"answer" object`) {
		t.Fatal(s)
	}
	if s := f.Correction(ErrNoJSON); !strings.Contains(s, "not what the answer format requires") || !strings.Contains(s, ErrNoJSON.Error()) {
		t.Fatal(s)
	}
}

// The instructions name the kind of value the schema asks for at its root:
// until 2026-12-07 every schema's answer was told to be an "object", also an
// array schema's, whose right answer ([1, 2]) is none.
func TestInstructionsNameTheSchemasRoot(t *testing.T) {
	for schema, want := range map[string]string{
		`{"type":"array","items":{"type":"integer"}}`: `a "answer" array that validates`,
		`{"type":"string"}`:                           `a "answer" string that validates`,
		`{"properties":{"a":{}}}`:                     `a "answer" object that validates`,
		`{"type":["object","null"]}`:                  `a "answer" value that validates`,
		`{"anyOf":[{"type":"object"}]}`:               `a "answer" value that validates`,
		`true`:                                        `a "answer" value that validates`,
	} {
		if s := compile(t, schema).Instructions(); !strings.Contains(s, want) {
			t.Errorf("%s: %s, want %q", schema, s, want)
		}
	}
}
