package openai

import (
	"bytes"
	"encoding/json"
	"regexp"
)

// ResponseFormat is a parsed response_format that asks for JSON. A nil
// *ResponseFormat (absent, null or {"type":"text"}) asks for plain text.
type ResponseFormat struct {
	Type        string // "json_object" or "json_schema"
	Name        string // json_schema.name
	Description string
	Schema      json.RawMessage // json_schema.schema; nil when none was given
	Strict      bool
}

var formatName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ParseResponseFormat reads response_format (OpenAI's Structured Outputs
// shape): {"type":"text"}, {"type":"json_object"} or {"type":"json_schema",
// "json_schema":{"name","description","schema","strict"}}. Anything else is
// a 400 naming the field.
func ParseResponseFormat(v json.RawMessage) (*ResponseFormat, *Error) {
	if isNull(v) {
		return nil, nil
	}
	var rf struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Schema      json.RawMessage `json:"schema"`
			Strict      *bool           `json:"strict"`
		} `json:"json_schema"`
	}
	if json.Unmarshal(v, &rf) != nil {
		return nil, InvalidRequest("response_format", "invalid_type",
			`response_format must be an object: {"type":"text"}, {"type":"json_object"} or {"type":"json_schema","json_schema":{…}}`)
	}
	switch rf.Type {
	case "text":
		return nil, nil
	case "json_object":
		return &ResponseFormat{Type: rf.Type}, nil
	case "json_schema":
	default:
		return nil, InvalidRequest("response_format.type", "invalid_value",
			"response_format.type must be text, json_object or json_schema, not %q", rf.Type)
	}
	js := rf.JSONSchema
	if js == nil {
		return nil, InvalidRequest("response_format.json_schema", "missing_required_parameter",
			"response_format of type json_schema needs a json_schema object")
	}
	if !formatName.MatchString(js.Name) {
		return nil, InvalidRequest("response_format.json_schema.name", "invalid_value",
			"response_format.json_schema.name must be 1-64 letters, digits, '_' or '-'")
	}
	out := &ResponseFormat{Type: rf.Type, Name: js.Name, Description: js.Description, Strict: js.Strict != nil && *js.Strict}
	if s := bytes.TrimSpace(js.Schema); len(s) > 0 && !bytes.Equal(s, []byte("null")) {
		if s[0] != '{' {
			return nil, InvalidRequest("response_format.json_schema.schema", "invalid_type",
				"response_format.json_schema.schema must be a JSON Schema object")
		}
		out.Schema = s
	}
	return out, nil
}
