package openai

import (
	"encoding/json"
	"testing"
)

// A field of the wrong JSON type inside response_format is named, and its
// expected type said; anything else unreadable names response_format.
func TestResponseFormatNamesAMistypedField(t *testing.T) {
	for _, c := range []struct{ in, param, msg string }{
		{`{"type":"json_schema","json_schema":{"name":"x","strict":"yes"}}`, "response_format.json_schema.strict",
			"response_format.json_schema.strict must be a boolean, not a string"},
		{`{"type":5}`, "response_format.type", "response_format.type must be a string, not a number"},
		{`{"type":"json_schema","json_schema":{"name":["x"]}}`, "response_format.json_schema.name",
			"response_format.json_schema.name must be a string, not an array"},
		{`"json"`, "response_format", ""},
		{`[1]`, "response_format", ""},
	} {
		_, err := ParseResponseFormat(json.RawMessage(c.in))
		if err == nil || err.Param != c.param || err.Code != "invalid_type" || c.msg != "" && err.Message != c.msg {
			t.Errorf("%s: %+v; want invalid_type at %s %q", c.in, err, c.param, c.msg)
		}
	}
}
