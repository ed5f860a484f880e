package anthropic

import "qwenproxy/internal/estimate"

// EstimateTokens estimates a request's input tokens (see estimate.Tokens):
// the system prompt, every message, and the tools as the model is told
// them (a defined tool, bash or the text editor, with the schema the proxy
// gives it), those a system message's tool_addition defines among them.
func EstimateTokens(r *Request) int {
	conversation := r.Conversation()
	all := r.Tools
	for _, c := range r.toolChanges {
		if c.def != nil {
			all = append(all[:len(all):len(all)], *c.def)
		}
	}
	declared := make([]estimate.Tool, 0, len(all))
	for _, t := range all {
		if defined, ok := definedToolOf(t.Type); ok {
			t.Description, t.InputSchema = defined.description, defined.schema
		}
		declared = append(declared, estimate.Tool{Name: t.Name, Description: t.Description, Schema: string(t.InputSchema)})
	}
	return estimate.Tokens(conversation, declared)
}
