package translate

import (
	"fmt"
	"strings"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/tools"
)

// Split divides a conversation into the history the proxy has already seen
// answered (everything up to and including the last assistant message) and
// the new turn (the messages after it). Qwen keeps the history; only the turn
// is sent. A conversation that ends with an assistant message (a prefill) has
// that message as its turn.
func Split(msgs []qp.Message) (history, turn []qp.Message) {
	k := 0
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "assistant" {
			k = i + 1
			break
		}
	}
	if k == len(msgs) {
		k = len(msgs) - 1
	}
	return msgs[:k], msgs[k:]
}

// HasEarlierTurns reports whether history holds anything but system prompts:
// a conversation that a new Qwen chat would not know about.
func HasEarlierTurns(history []qp.Message) bool {
	for _, m := range history {
		if !isSystem(m.Role) {
			return true
		}
	}
	return false
}

// FirstUserText is the text of the first user message, which names a session
// for people browsing the history.
func FirstUserText(msgs []qp.Message) string {
	for i := range msgs {
		if msgs[i].Role == "user" {
			return strings.TrimSpace(msgs[i].Text)
		}
	}
	return ""
}

// Plan is what to send upstream for one turn.
type Plan struct {
	FirstTurn bool // the Qwen chat has no messages yet: send the system prompt
	Replay    bool // the chat is new but the client has earlier turns: replay them
	Thinking  bool
	Tools     *tools.Set // described on the first turn when active
}

// UpstreamMessages builds the messages of one Qwen completion request.
func UpstreamMessages(msgs []qp.Message, p Plan) []qwen.MessageSpec {
	history, turn := Split(msgs)
	var specs []qwen.MessageSpec
	var body strings.Builder
	if p.FirstTurn {
		sys := systemText(msgs)
		if p.Tools.Active() {
			sys = strings.TrimSpace(sys + "\n\n" + p.Tools.Instructions())
		}
		if sys != "" {
			specs = append(specs, qwen.MessageSpec{Role: "system", Content: sys, Thinking: p.Thinking})
		}
		if p.Replay {
			writeReplay(&body, history)
		}
	}
	role := "user"
	if len(turn) == 1 && turn[0].Role == "assistant" {
		role = "assistant"
	}
	writeTurn(&body, msgs, len(history), !p.FirstTurn)
	if !p.FirstTurn && p.Tools.Active() && p.Tools.Requirement() != "" {
		// The instructions went with the first turn; a demand for a call
		// is per request.
		body.WriteString("\n\n" + p.Tools.Requirement())
	}
	specs = append(specs, qwen.MessageSpec{Role: role, Content: body.String(), Thinking: p.Thinking})
	return specs
}

// systemText joins every system and developer prompt of the conversation.
func systemText(msgs []qp.Message) string {
	var parts []string
	for i := range msgs {
		if isSystem(msgs[i].Role) {
			if t := msgs[i].Text; strings.TrimSpace(t) != "" {
				parts = append(parts, t)
			}
		}
	}
	return strings.Join(parts, "\n\n")
}

func isSystem(role string) bool { return role == "system" || role == "developer" }

// writeReplay puts the earlier turns into the first message of a new chat, so
// that a conversation whose chat was lost keeps its context.
func writeReplay(b *strings.Builder, history []qp.Message) {
	if !HasEarlierTurns(history) {
		return
	}
	b.WriteString("[Earlier conversation, for context]\n\n")
	for i := range history {
		m := &history[i]
		if isSystem(m.Role) {
			continue
		}
		text := m.Text
		switch m.Role {
		case "user":
			fmt.Fprintf(b, "User: %s\n\n", text)
		case "assistant":
			if strings.TrimSpace(text) != "" {
				fmt.Fprintf(b, "Assistant: %s\n\n", text)
			}
			for _, tc := range m.ToolCalls {
				fmt.Fprintf(b, "Assistant (call %s):\n%s\n\n", tc.ID, tools.FormatCall(tc.Name, tc.Arguments))
			}
		case "tool":
			writeToolResult(b, m, history[:i])
			b.WriteString("\n\n")
		}
	}
	b.WriteString("[End of earlier conversation]\n\n")
}

// writeTurn writes the new turn, msgs[start:], as one message. System
// messages in the turn are sent only after the chat's first turn, where the
// system prompt has already gone separately.
func writeTurn(b *strings.Builder, msgs []qp.Message, start int, includeSystem bool) {
	first := true
	for i := start; i < len(msgs); i++ {
		m := &msgs[i]
		if isSystem(m.Role) && !includeSystem {
			continue
		}
		if !first {
			b.WriteString("\n\n")
		}
		first = false
		text := m.Text
		switch {
		case m.Role == "tool":
			writeToolResult(b, m, msgs[:i])
		case isSystem(m.Role):
			fmt.Fprintf(b, "[System] %s", text)
		default:
			b.WriteString(text)
		}
	}
}

// writeToolResult describes a tool's result in words the model understands.
func writeToolResult(b *strings.Builder, m *qp.Message, before []qp.Message) {
	text := m.Text
	if strings.TrimSpace(text) == "" {
		text = "(no output)"
	}
	failed := ""
	if m.IsError {
		failed = ", which failed" // Anthropic's is_error
	}
	if name := toolName(m.ToolCallID, before); name != "" {
		fmt.Fprintf(b, "Result of %s (%s)%s:\n%s", name, m.ToolCallID, failed, text)
		return
	}
	fmt.Fprintf(b, "Result of tool call %s%s:\n%s", m.ToolCallID, failed, text)
}

func toolName(callID string, before []qp.Message) string {
	for i := len(before) - 1; i >= 0; i-- {
		for _, tc := range before[i].ToolCalls {
			if tc.ID == callID {
				return tc.Name
			}
		}
	}
	return ""
}
