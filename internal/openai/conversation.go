package openai

import (
	"fmt"

	qp "qwenproxy"
	"qwenproxy/internal/tools"
)

// Conversation translates validated chat messages into the core's form.
func Conversation(msgs []Message) []qp.Message {
	out := make([]qp.Message, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		text, _ := m.Text() // validated: cannot fail
		images, docs := m.Attachments(fmt.Sprintf("messages[%d]", i))
		out[i] = qp.Message{Role: m.Role, Text: text, PartBreaks: m.TextBreaks(), Images: images, Documents: docs, ToolCallID: m.ToolCallID}
		if m.Role == "tool" {
			// A result may name its tool (the legacy function message
			// does): its call need not be among the messages.
			out[i].ToolName = m.Name
		}
		for _, tc := range m.ToolCalls {
			call := qp.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments}
			if tc.Type == "custom" && tc.Custom != nil {
				// Told to Qwen, and keyed, as the function of one string it
				// was offered as (tools.CustomTool).
				call = qp.ToolCall{ID: tc.ID, Name: tc.Custom.Name, Arguments: tools.CustomArguments(tc.Custom.Input), Custom: true}
			}
			out[i].ToolCalls = append(out[i].ToolCalls, call)
		}
	}
	return out
}

// ToolCalls translates the core's calls into Chat Completions' form.
func ToolCalls(calls []qp.ToolCall) []ToolCall {
	var out []ToolCall
	for _, c := range calls {
		if c.Custom {
			out = append(out, ToolCall{ID: c.ID, Type: "custom", Custom: &CustomCall{Name: c.Name, Input: tools.CustomInput(c.Arguments)}})
			continue
		}
		tc := ToolCall{ID: c.ID, Type: "function"}
		tc.Function.Name, tc.Function.Arguments = c.Name, c.Arguments
		out = append(out, tc)
	}
	return out
}
