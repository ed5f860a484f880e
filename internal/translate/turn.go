package translate

import (
	"fmt"
	"strings"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/tools"
)

// Split divides a conversation into the history the proxy has already seen
// answered (everything up to and including the last assistant message) and
// the new turn (the messages after it). Qwen keeps the history; only the turn
// is sent. A conversation that ends with an assistant message (a prefill) has
// that message as its turn.
func Split(msgs []openai.Message) (history, turn []openai.Message) {
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
func HasEarlierTurns(history []openai.Message) bool {
	for _, m := range history {
		if !isSystem(m.Role) {
			return true
		}
	}
	return false
}

// FirstUserText is the text of the first user message, which names a session
// for people browsing the history.
func FirstUserText(msgs []openai.Message) string {
	for i := range msgs {
		if msgs[i].Role == "user" {
			t, _ := msgs[i].Text()
			return strings.TrimSpace(t)
		}
	}
	return ""
}

// Plan is what to send upstream for one turn.
type Plan struct {
	// Tell states the system prompt and the tools, whole: on a chat's first
	// turn, and on any later turn whose system prompt or tool set differs
	// from what the chat was last told.
	Tell bool
	// ToolsWithdrawn (with Tell) says that the chat was told of tools this
	// request does not declare, so the model must stop calling them.
	ToolsWithdrawn bool
	Replay         bool // the chat is new but the client has earlier turns: replay them
	Thinking       bool
	Tools          *tools.Set
}

// Markers of the one upstream message. Qwen takes exactly one message per
// completion, so everything a turn must say is folded into it, in this order
// (each part only when present):
//
//	[System instructions]
//	<system and developer prompts, joined by blank lines>
//
//	<tool instructions>
//	[End of system instructions]
//
//	[Earlier conversation, for context]
//	User: …
//	Assistant: …
//	[End of earlier conversation]
//
//	<the new turn: the user's words, tool results>
//
//	<what tool_choice demands of this answer, on later turns>
const (
	SystemOpen  = "[System instructions]"
	SystemClose = "[End of system instructions]"
	ReplayOpen  = "[Earlier conversation, for context]"
	ReplayClose = "[End of earlier conversation]"
)

// toolsWithdrawn tells a chat that knew tools that it has none now.
const toolsWithdrawn = "No functions are available any more: answer in plain text, without any <tool_call> block."

// UpstreamMessage builds the one message of a Qwen completion request for
// the newest turn of msgs.
func UpstreamMessage(msgs []openai.Message, p Plan) qwen.MessageSpec {
	history, turn := Split(msgs)
	var body strings.Builder
	if p.Tell {
		writeSystem(&body, SystemText(msgs), p)
	}
	if p.Replay {
		writeReplay(&body, history)
	}
	role := "user"
	if len(turn) == 1 && turn[0].Role == "assistant" {
		role = "assistant"
	}
	writeTurn(&body, msgs, len(history))
	if !p.Tell && p.Tools.Active() && p.Tools.Requirement() != "" {
		// The instructions (with the requirement) were stated earlier; a
		// demand for a call is per request.
		body.WriteString("\n\n" + p.Tools.Requirement())
	}
	return qwen.MessageSpec{Role: role, Content: body.String(), Thinking: p.Thinking}
}

// writeSystem writes the system section: the prompts, then the tools.
func writeSystem(b *strings.Builder, system string, p Plan) {
	var parts []string
	if s := strings.TrimSpace(system); s != "" {
		parts = append(parts, s)
	}
	switch {
	case p.Tools.Active():
		parts = append(parts, strings.TrimSpace(p.Tools.Instructions()))
	case p.ToolsWithdrawn:
		parts = append(parts, toolsWithdrawn)
	}
	if len(parts) == 0 {
		return
	}
	b.WriteString(SystemOpen + "\n" + strings.Join(parts, "\n\n") + "\n" + SystemClose + "\n\n")
}

// SystemText joins every system and developer prompt of the conversation.
func SystemText(msgs []openai.Message) string {
	var parts []string
	for i := range msgs {
		if isSystem(msgs[i].Role) {
			if t, _ := msgs[i].Text(); strings.TrimSpace(t) != "" {
				parts = append(parts, t)
			}
		}
	}
	return strings.Join(parts, "\n\n")
}

func isSystem(role string) bool { return role == "system" || role == "developer" }

// writeReplay puts the earlier turns into the first message of a new chat, so
// that a conversation whose chat was lost keeps its context.
func writeReplay(b *strings.Builder, history []openai.Message) {
	if !HasEarlierTurns(history) {
		return
	}
	b.WriteString(ReplayOpen + "\n\n")
	for i := range history {
		m := &history[i]
		if isSystem(m.Role) {
			continue
		}
		text, _ := m.Text()
		switch m.Role {
		case "user":
			fmt.Fprintf(b, "User: %s\n\n", text)
		case "assistant":
			if strings.TrimSpace(text) != "" {
				fmt.Fprintf(b, "Assistant: %s\n\n", text)
			}
			for _, tc := range m.ToolCalls {
				fmt.Fprintf(b, "Assistant (call %s):\n%s\n\n", tc.ID, tools.FormatCall(tc.Function.Name, tc.Function.Arguments))
			}
		case "tool":
			writeToolResult(b, m, history[:i])
			b.WriteString("\n\n")
		}
	}
	b.WriteString(ReplayClose + "\n\n")
}

// writeTurn writes the new turn, msgs[start:], as one message. Its system
// messages are not repeated here: they are part of the system prompt, which
// is stated whole whenever it changes.
func writeTurn(b *strings.Builder, msgs []openai.Message, start int) {
	first := true
	for i := start; i < len(msgs); i++ {
		m := &msgs[i]
		if isSystem(m.Role) {
			continue
		}
		if !first {
			b.WriteString("\n\n")
		}
		first = false
		text, _ := m.Text()
		if m.Role == "tool" {
			writeToolResult(b, m, msgs[:i])
			continue
		}
		b.WriteString(text)
	}
}

// writeToolResult describes a tool's result in words the model understands.
func writeToolResult(b *strings.Builder, m *openai.Message, before []openai.Message) {
	text, _ := m.Text()
	if strings.TrimSpace(text) == "" {
		text = "(no output)"
	}
	if name := toolName(m.ToolCallID, before); name != "" {
		fmt.Fprintf(b, "Result of %s (%s):\n%s", name, m.ToolCallID, text)
		return
	}
	fmt.Fprintf(b, "Result of tool call %s:\n%s", m.ToolCallID, text)
}

func toolName(callID string, before []openai.Message) string {
	for i := len(before) - 1; i >= 0; i-- {
		for _, tc := range before[i].ToolCalls {
			if tc.ID == callID {
				return tc.Function.Name
			}
		}
	}
	return ""
}
