package openai

import (
	"bytes"
	"encoding/json"
	"regexp"

	"qwenproxy/internal/typeerror"
)

// ResponseFormat is a parsed response_format that asks for JSON. A nil
// *ResponseFormat (absent, null or {"type":"text"}) asks for plain text.
type ResponseFormat struct {
	Type        string // "json_object" or "json_schema"
	Name        string // json_schema.name
	Description string
	Schema      json.RawMessage // json_schema.schema; nil when none was given
	Strict      bool
	// SchemaParam names where the schema was given, for errors about it:
	// "response_format.json_schema.schema", or the Responses API's
	// "text.format.schema".
	SchemaParam string
}

var formatName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ParseResponseFormat reads response_format (OpenAI's Structured Outputs
// shape): {"type":"text"}, {"type":"json_object"} or {"type":"json_schema",
// "json_schema":{"name","description","schema","strict"}}. Anything else is
// a 400 naming the field.
func ParseResponseFormat(v json.RawMessage) (*ResponseFormat, *Error) {
	if IsNull(v) {
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
	if err := json.Unmarshal(v, &rf); err != nil {
		if e := FieldTypeError("response_format", v, err); e != nil {
			return nil, e
		}
		return nil, InvalidRequest("response_format", "invalid_type",
			`response_format must be an object: {"type":"text"}, {"type":"json_object"} or {"type":"json_schema","json_schema":{…}}`)
	}
	switch rf.Type {
	case "text":
		return nil, nil
	case "json_object":
		return &ResponseFormat{Type: rf.Type}, nil
	case "json_schema":
	case "": // absent or null
		return nil, InvalidRequest("response_format.type", "missing_required_parameter",
			"response_format.type is required: text, json_object or json_schema")
	default:
		return nil, InvalidRequest("response_format.type", "invalid_value",
			"response_format.type must be text, json_object or json_schema, not %q", rf.Type)
	}
	js := rf.JSONSchema
	if js == nil {
		return nil, InvalidRequest("response_format.json_schema", "missing_required_parameter",
			"response_format of type json_schema needs a json_schema object")
	}
	return JSONSchemaFormat("response_format.json_schema", js.Name, js.Description, js.Schema, js.Strict)
}

// FieldTypeError is the 400 for a field of the object at param that has
// the wrong JSON type (e.g. "strict": "yes"), naming that field, or nil
// when err is not about one field.
func FieldTypeError(param string, raw []byte, err error) *Error {
	path, what, ok := typeerror.Of(param, raw, err, false)
	if !ok || path == param {
		return nil
	}
	return InvalidRequest(path, "invalid_type", "%s %s", path, what)
}

// JSONSchemaFormat checks a json_schema format's name and schema, given at
// param (response_format.json_schema in Chat Completions, text.format in
// the Responses API, which lays the same fields out flat).
func JSONSchemaFormat(param, name, description string, schema json.RawMessage, strict *bool) (*ResponseFormat, *Error) {
	if name == "" {
		// Told as missing, not as a malformed name: it was not sent.
		return nil, InvalidRequest(param+".name", "missing_required_parameter", "%s.name is required (1-64 letters, digits, '_' or '-')", param)
	}
	if !formatName.MatchString(name) {
		return nil, InvalidRequest(param+".name", "invalid_value", "%s.name must be 1-64 letters, digits, '_' or '-'", param)
	}
	out := &ResponseFormat{Type: "json_schema", Name: name, Description: description, Strict: strict != nil && *strict, SchemaParam: param + ".schema"}
	if s := bytes.TrimSpace(schema); !IsNull(s) {
		if s[0] != '{' {
			return nil, InvalidRequest(param+".schema", "invalid_type", "%s.schema must be a JSON Schema object", param)
		}
		out.Schema = s
	}
	return out, nil
}
