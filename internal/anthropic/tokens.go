package anthropic

import (
	"slices"

	"qwenproxy/internal/estimate"
)

// EstimateTokens estimates a request's input tokens (see estimate.Tokens):
// the system prompt, every message, and the tools as the model is told
// them (a defined tool, bash or the text editor, with the schema the proxy
// gives it), those a system message's tool_addition defines among them.
func EstimateTokens(r *Request) int {
	conversation := r.Conversation()
	// A copy, appended to in place: clipping it at every append (so as not
	// to write into r.Tools) copied the whole list for each added tool,
	// minutes of CPU for a request of 20,000 additions.
	all := slices.Clone(r.Tools)
	for _, c := range r.toolChanges {
		if c.def != nil {
			all = append(all, *c.def)
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
