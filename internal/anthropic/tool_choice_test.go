package anthropic

import (
	"testing"

	"qwenproxy/internal/openai"
)

// A tool choice of type tool without a name says the name is missing; it
// said that "" is not among the tools.
func TestToolChoiceWithoutANameSaysSo(t *testing.T) {
	var r Request
	body := `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"a","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool"}}`
	if err := openai.Decode([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(false); err == nil || err.Message != "tool_choice.name: Field required when tool_choice.type is tool" {
		t.Fatalf("%v", err)
	}
}
