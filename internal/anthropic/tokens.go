package anthropic

import "qwenproxy/internal/estimate"

// EstimateTokens estimates a request's input tokens (see estimate.Tokens):
// the system prompt, every message, and the tools as the model is told
// them (a defined tool, bash or the text editor, with the schema the proxy
// gives it).
func EstimateTokens(r *Request) int {
	declared := make([]estimate.Tool, 0, len(r.Tools))
	for _, t := range r.Tools {
		if defined, ok := definedToolOf(t.Type); ok {
			t.Description, t.InputSchema = defined.description, defined.schema
		}
		declared = append(declared, estimate.Tool{Name: t.Name, Description: t.Description, Schema: string(t.InputSchema)})
	}
	return estimate.Tokens(r.Conversation(), declared)
}
