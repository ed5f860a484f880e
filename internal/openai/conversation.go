package openai

import qp "qwenproxy"

// Conversation translates validated chat messages into the core's form.
func Conversation(msgs []Message) []qp.Message {
	out := make([]qp.Message, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		text, _ := m.Text() // validated: cannot fail
		out[i] = qp.Message{Role: m.Role, Text: text, Images: m.Images(), ToolCallID: m.ToolCallID}
		if m.Role == "tool" {
			// A result may name its tool (the legacy function message
			// does): its call need not be among the messages.
			out[i].ToolName = m.Name
		}
		for _, tc := range m.ToolCalls {
			out[i].ToolCalls = append(out[i].ToolCalls, qp.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
	}
	return out
}

// ToolCalls translates the core's calls into Chat Completions' form.
func ToolCalls(calls []qp.ToolCall) []ToolCall {
	var out []ToolCall
	for _, c := range calls {
		tc := ToolCall{ID: c.ID, Type: "function"}
		tc.Function.Name, tc.Function.Arguments = c.Name, c.Arguments
		out = append(out, tc)
	}
	return out
}
