package tools

import (
	"strings"
	"testing"
)

func TestSchemasRefuseWhatIsNotAJSONSchema(t *testing.T) {
	s := NewSchemas()
	for _, tc := range []struct{ schema, want string }{
		{`{"type":5}`, "at '/type'"},
		{`{"type":null}`, "at '/type'"},
		{`{"type":"object","properties":[]}`, "at '/properties'"},
		{`{"type":"object","properties":{"path":{"type":"strin"}}}`, "at '/properties/path/type'"},
		{`{"type":"object","required":"path"}`, "at '/required'"},
		{`{"$schema":"http://json-schema.org/draft-07/schema#","items":[{"type":5}]}`, "at '/items/0/type'"},
		{`{"type":"object","properties":{"a/b":{"type":5},"c~d":{}}}`, "at '/properties/a~1b/type'"},
		{`{"type":"object","properties":{"a":{"type":["string","string"]}}}`, "at '/properties/a/type': items at 0 and 1 are equal"},
		// a function's arguments are an object
		{`{"type":"string"}`, `schema must be a JSON Schema of 'type: "object"', got 'type: "string"'`},
		{`{"type":["string","null"]}`, `schema must be a JSON Schema of 'type: "object"', got 'type: ["string","null"]'`},
		{`[]`, "a JSON Schema object is required, not an array"},
		{`"x"`, "a JSON Schema object is required, not a string"},
		{`true`, "a JSON Schema object is required, not a boolean"},
		{`{"type":`, "not valid JSON"},
	} {
		set := &Set{Tools: []Tool{{Name: "ok", Parameters: []byte(`{"type":"object"}`), Param: "tools[0].function.parameters"},
			{Name: "read", Parameters: []byte(tc.schema), Param: "tools[1].function.parameters"}}}
		fe := s.Check(set)
		if fe == nil {
			t.Errorf("%s: accepted", tc.schema)
			continue
		}
		t.Logf("%s: %s", tc.schema, fe.Message)
		if fe.Param != "tools[1].function.parameters" || !strings.HasPrefix(fe.Message, "Invalid schema for function 'read': "+tc.want) {
			t.Errorf("%s: %s: %s", tc.schema, fe.Param, fe.Message)
		}
	}
}

func TestSchemasAcceptWhatAgentsSend(t *testing.T) {
	s := NewSchemas()
	for _, schema := range []string{
		`{"type":"object","properties":{"command":{"type":"string","description":"the command"},"timeout":{"type":"number"}},"required":["command"],"additionalProperties":false}`,
		// zod-to-json-schema's form, draft-07 with its tuple items
		`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"pair":{"type":"array","items":[{"type":"string"},{"type":"number"}]}},"definitions":{"x":{"type":"string"}}}`,
		// references are not followed, inside or out
		`{"type":"object","properties":{"a":{"$ref":"#/$defs/a"},"b":{"$ref":"https://example.com/b.json"}},"$defs":{"a":{"type":"integer"}}}`,
		// an unknown $schema is read as draft 2020-12
		`{"$schema":"https://example.com/my-dialect","type":"object","properties":{}}`,
		// unlabelled draft-07 and draft-04 schemas, as agents send them
		`{"type":"object","properties":{"pair":{"type":"array","items":[{"type":"string"},{"type":"number"}]}}}`,
		`{"type":"object","properties":{"n":{"type":"number","minimum":0,"exclusiveMinimum":true}}}`,
		// the older drafts written with https, tuple items and all
		`{"$schema":"https://json-schema.org/draft-07/schema#","type":"object","properties":{"pair":{"items":[{"type":"string"}]}}}`,
		`{"type":["object","null"],"properties":{}}`,
		`{}`,
	} {
		set := &Set{Tools: []Tool{{Name: "t", Parameters: []byte(schema)}, {Name: "none"}, {Name: "null", Parameters: []byte("null")}}}
		if fe := s.Check(set); fe != nil {
			t.Errorf("%s: %s %s", schema, fe.Param, fe.Message)
		}
		if fe := s.Check(set); fe != nil { // remembered as valid
			t.Errorf("%s, again: %s", schema, fe.Message)
		}
	}
}

func TestSchemasForgetAtTheirBound(t *testing.T) {
	s := NewSchemas()
	big := `{"description":"` + strings.Repeat("x", maxKnownBytes/3) + `"}`
	for i := range 3 {
		schema := strings.Replace(big, "x", string(rune('a'+i)), 1)
		if fe := s.Check(&Set{Tools: []Tool{{Name: "t", Parameters: []byte(schema)}}}); fe != nil {
			t.Fatal(fe.Message)
		}
		if s.size > maxKnownBytes {
			t.Fatalf("remembers %d bytes, over its bound of %d", s.size, maxKnownBytes)
		}
		if want := []int{1, 2, 1}[i]; len(s.known) != want {
			t.Fatalf("after schema %d: remembers %d (want %d: the third passes the bound, and all before it are forgotten)", i+1, len(s.known), want)
		}
	}
}
