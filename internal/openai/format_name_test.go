package openai

import "testing"

// A json_schema format without a name is told the name is missing, as
// OpenAI tells it, in Chat Completions' and the Responses API's form; it
// was told the name must be 1-64 letters, as if a bad one had been sent.
func TestSchemaFormatWithoutANameSaysItIsRequired(t *testing.T) {
	_, err := ParseResponseFormat([]byte(`{"type":"json_schema","json_schema":{"schema":{"type":"object"}}}`))
	if err == nil || err.Code != "missing_required_parameter" || err.Param != "response_format.json_schema.name" {
		t.Fatalf("chat: %v", err)
	}
	_, err = JSONSchemaFormat("text.format", "", "", []byte(`{"type":"object"}`), nil)
	if err == nil || err.Code != "missing_required_parameter" || err.Param != "text.format.name" {
		t.Fatalf("responses: %v", err)
	}
	if _, err = JSONSchemaFormat("text.format", "bad name", "", nil, nil); err == nil || err.Code != "invalid_value" {
		t.Fatalf("a bad name: %v", err)
	}
}
