package translate

import (
	"cmp"
	"fmt"
	"strings"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/tools"
)

// Split divides a conversation into the history the proxy has already seen
// answered (everything up to and including the last assistant message) and
// the new turn (the messages after it). Qwen keeps the history; only the turn
// is sent. A conversation that ends with an assistant message (a prefill, to
// be continued) has that message in its turn, with what came since the
// assistant message before it.
func Split(msgs []qp.Message) (history, turn []qp.Message) {
	end := len(msgs)
	if _, ok := Prefill(msgs); ok {
		end--
	}
	k := 0
	for i := end - 1; i >= 0; i-- {
		if msgs[i].Role == "assistant" {
			k = i + 1
			break
		}
	}
	return msgs[:k], msgs[k:]
}

// Prefill returns the text of a trailing assistant message without tool
// calls: the start of the answer, which the model is to continue.
func Prefill(msgs []qp.Message) (string, bool) {
	if len(msgs) == 0 {
		return "", false
	}
	last := &msgs[len(msgs)-1]
	if last.Role != "assistant" || len(last.ToolCalls) > 0 {
		return "", false
	}
	return last.Text, true
}

// Markers of a prefill: Qwen's web API has no way to start the answer, so
// the turn asks the model to continue the given text.
const (
	PrefillOpen  = "[Answer so far]"
	PrefillClose = "[End of answer so far]"
	prefillAsk   = "Your answer to this turn has already begun. Continue it from exactly where the text between the markers below ends — the next character onwards — without repeating any of it and without any preamble."
)

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
// for people browsing the history (and is what GET /v1/sessions searches).
// Coding agents open their conversations with context of their own — Claude
// Code's and Qwen Code's <system-reminder> blocks before the user's words,
// Codex's <environment_context> as a message of its own, Claude Code's
// summary that opens a compacted conversation, Kilo's (and Cline's and
// Roo's) <environment_details> after them, OpenCode's and Kilo's record of
// the files attached (see syntheticParts) — which would name
// every session of an agent alike: that context is passed over, and the
// first user message with words of the user's names the session (the first
// user message, whole, when none has). It is cut to FirstUserMax bytes (on
// a character's boundary): a name, not a copy of the message — the call's
// body holds it whole — and a session row that outlives its calls (a 3 MB
// first message) weighed on retention by size as if it were history.
func FirstUserText(msgs []qp.Message) string { return qp.SessionName(FirstUserTextWhole(msgs)) }

// FirstUserTextWhole is FirstUserText before its cut: what masks secrets
// in it must see them whole (a secret across the cut, its beginning alone
// left in the cut text, was no longer found), then cut it with
// qp.SessionName.
func FirstUserTextWhole(msgs []qp.Message) string {
	first, seen := "", false
	for i := range msgs {
		if msgs[i].Role != "user" {
			continue
		}
		if !seen {
			first, seen = strings.TrimSpace(msgs[i].Text), true
		}
		if text := strings.TrimSpace(withoutAgentContext(withoutSyntheticParts(&msgs[i]))); text != "" {
			return text
		}
	}
	return first
}

// FirstUserMax bounds FirstUserText, in bytes.
const FirstUserMax = qp.FirstUserMessageMax

// contextTags are the blocks agents weave into a user's text: Claude Code's
// and Qwen Code's <system-reminder>, Claude Code's record of a local
// command such as /compact, which it sends with the user's next words, and
// the <environment_details> (the time, the working directory, open files)
// that Kilo adds to every user message as a text part after the user's
// words (as Cline's and Roo's VS Code extensions add theirs).
var contextTags = []string{"system-reminder", "local-command-caveat", "command-name", "command-message",
	"command-args", "local-command-stdout", "local-command-stderr", "environment_details"}

// taskOpen and taskClose wrap the user's first words in Cline's and Roo's
// VS Code extensions ("<task>\n…\n</task>", a text block of its own):
// a wrapper of the user's words, not context, so the name is what it holds.
const (
	taskOpen  = "<task>"
	taskClose = "</task>"
)

// compactedOpening opens the summary that Claude Code's compacted
// conversation begins with.
const compactedOpening = "This session is being continued from a previous conversation"

// withoutAgentContext is text less the blocks of contextTags, and "" for a
// text that is one tagged block alone (<environment_context>…
// </environment_context>, Codex's; its <user_instructions>, an AGENTS.md) or
// Claude Code's summary of a compacted conversation: context, not the
// user's words.
func withoutAgentContext(text string) string {
	for _, tag := range contextTags {
		text = withoutBlocks(text, "<"+tag+">", "</"+tag+">")
	}
	text = strings.TrimSpace(text)
	if inner, ok := strings.CutPrefix(text, taskOpen); ok && strings.HasSuffix(inner, taskClose) {
		return strings.TrimSpace(strings.TrimSuffix(inner, taskClose))
	}
	if name, ok := openingTag(text); ok && strings.HasSuffix(text, "</"+name+">") {
		return ""
	}
	if strings.HasPrefix(text, compactedOpening) {
		return ""
	}
	return text
}

// withoutBlocks is text less every block that opens with open and closes
// with end.
func withoutBlocks(text, open, end string) string {
	for {
		i := strings.Index(text, open)
		if i < 0 {
			return text
		}
		j := strings.Index(text[i:], end)
		if j < 0 {
			return text
		}
		text = text[:i] + text[i+j+len(end):]
	}
}

// openingTag returns the name of the tag text opens with (letters, digits,
// '_' and '-'), if it opens with one.
func openingTag(text string) (string, bool) {
	if !strings.HasPrefix(text, "<") {
		return "", false
	}
	end := strings.IndexByte(text, '>')
	if end < 2 {
		return "", false
	}
	name := text[1:end]
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return "", false
		}
	}
	return name, true
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
	// Unseen, above 0 (without Replay), is where the earlier turns the
	// chat never got begin in the history: only those are replayed.
	Unseen   int
	Thinking bool
	Tools    *tools.Set
	// Instructions are per request (response_format): they end every turn.
	Instructions string
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
//
//	<the answer format (response_format), on every turn that asks for one>
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
func UpstreamMessage(msgs []qp.Message, p Plan) qwen.MessageSpec {
	history, _ := Split(msgs)
	var body strings.Builder
	if p.Tell {
		writeSystem(&body, SystemText(msgs), p)
	}
	switch {
	case p.Replay:
		writeReplay(&body, history, 0)
	case p.Unseen > 0 && p.Unseen < len(history):
		writeReplay(&body, history, p.Unseen)
	}
	writeTurn(&body, msgs, len(history))
	if !p.Tell && p.Tools.Active() && p.Tools.Requirement() != "" {
		// The instructions (with the requirement) were stated earlier; a
		// demand for a call is per request.
		body.WriteString("\n\n" + p.Tools.Requirement())
	}
	if p.Instructions != "" {
		body.WriteString("\n\n" + p.Instructions)
	}
	if prefix, ok := Prefill(msgs); ok && strings.TrimSpace(prefix) != "" {
		// Last, after every instruction: what the answer must continue.
		// (An empty one begins nothing: the answer is asked for as it is.)
		fmt.Fprintf(&body, "\n\n%s\n%s\n%s\n%s", prefillAsk, PrefillOpen, prefix, PrefillClose)
	}
	return qwen.MessageSpec{Role: "user", Content: body.String(), Thinking: p.Thinking}
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

// SystemText joins the conversation's system prompt: its system and
// developer messages before the first assistant message. Those after it
// (Claude Code's "Note: FILE changed on disk…"), and those marked Continued
// (a Responses turn's input after the answers of the response or
// conversation it continues), are told with the turn they come in
// (writeTurn), so the system prompt the chat was told stays the same and is
// not stated again for each. One core for the three APIs: a system message
// is the system prompt only where it comes before the conversation's first
// answer.
func SystemText(msgs []qp.Message) string {
	var parts []string
	for i := range msgs[:firstAnswer(msgs)] {
		if isSystem(msgs[i].Role) {
			if t := msgs[i].Text; strings.TrimSpace(t) != "" {
				parts = append(parts, t)
			}
		}
	}
	return strings.Join(parts, "\n\n")
}

func isSystem(role string) bool { return role == "system" || role == "developer" }

// firstAnswer is the index of the conversation's first assistant message,
// or of its first message marked Continued (which comes after answers that
// are not among msgs), or len(msgs): the system messages from there on are
// not the system prompt.
func firstAnswer(msgs []qp.Message) int {
	for i := range msgs {
		if msgs[i].Role == "assistant" || msgs[i].Continued {
			return i
		}
	}
	return len(msgs)
}

// writeReplay puts the earlier turns into the first message of a new chat, so
// that a conversation whose chat was lost keeps its context.
// Only history[from:] is replayed; a system message after the first answer
// is replayed as what it said (see SystemText).
func writeReplay(b *strings.Builder, history []qp.Message, from int) {
	if !HasEarlierTurns(history[from:]) {
		return
	}
	b.WriteString(ReplayOpen + "\n\n")
	prompt := firstAnswer(history)
	for i := from; i < len(history); i++ {
		m := &history[i]
		if isSystem(m.Role) {
			// After the first answer, or Continued (at it); a blank one
			// says nothing (as in the system prompt: SystemText).
			if i >= prompt && strings.TrimSpace(m.Text) != "" {
				fmt.Fprintf(b, "System: %s\n\n", m.Text)
			}
			continue
		}
		text := m.Text
		switch m.Role {
		case "user":
			fmt.Fprintf(b, "User: %s%s%s\n\n", text, imagesNote(text, len(m.Images)), documentsNote(text+imagesNote(text, len(m.Images)), len(m.Documents)))
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
	b.WriteString(ReplayClose + "\n\n")
}

// writeTurn writes the new turn, msgs[start:], as one message. The system
// messages of the system prompt (before the first answer: see SystemText)
// are not repeated here, as it is stated whole whenever it changes; a later
// one is the system's word in its turn ("System: …").
func writeTurn(b *strings.Builder, msgs []qp.Message, start int) {
	first := true
	prompt := firstAnswer(msgs)
	// A blank system message says nothing (as in the system prompt:
	// SystemText), so it is not told as "System: " — unless the turn has
	// nothing else to say.
	blank := func(m *qp.Message) bool { return isSystem(m.Role) && strings.TrimSpace(m.Text) == "" }
	sayBlank := true
	for i := start; i < len(msgs); i++ {
		if m := &msgs[i]; m.Role != "assistant" && !(isSystem(m.Role) && i < prompt) && !blank(m) {
			sayBlank = false
			break
		}
	}
	for i := start; i < len(msgs); i++ {
		m := &msgs[i]
		// A turn's assistant message is a prefill, which UpstreamMessage
		// writes last, after every instruction.
		if isSystem(m.Role) && i < prompt || m.Role == "assistant" || blank(m) && !sayBlank {
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
			fmt.Fprintf(b, "System: %s", text)
		case strings.TrimSpace(text) == "" && len(m.Documents) > 0:
			// Nothing but documents: the model is told they are its input.
			b.WriteString(documentsNote(text, len(m.Documents)))
		default:
			b.WriteString(text)
		}
	}
}

// writeToolResult describes a tool's result in words the model understands.
func writeToolResult(b *strings.Builder, m *qp.Message, before []qp.Message) {
	text := m.Text
	switch {
	case len(m.Images) > 0 || len(m.Documents) > 0:
		text += imagesNote(text, len(m.Images))
		text += documentsNote(text, len(m.Documents))
	case strings.TrimSpace(text) == "":
		text = "(no output)"
	}
	failed := ""
	if m.IsError {
		failed = ", which failed" // Anthropic's is_error
	}
	if name := cmp.Or(toolName(m.ToolCallID, before), m.ToolName); name != "" {
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

// imagesNote tells the model that a message it reads as text (a tool's
// result, an earlier turn replayed) came with images, which go up attached
// to the message it is in: without it, a Read of an image file was "(no
// output)" beside the very image it returned. It follows text, or stands
// alone when there is none.
func imagesNote(text string, images int) string {
	return attachedNote(text, images, "an image", "images")
}

// documentsNote is imagesNote for documents: "[a document, attached]".
func documentsNote(text string, docs int) string {
	return attachedNote(text, docs, "a document", "documents")
}

// ImagesNotAttached is imagesNote for images that do not go up (the model
// takes none): "[an image, not attached: <why>]" after text.
func ImagesNotAttached(text string, images int, why string) string {
	return fileNote(text, images, "an image", "images", "not attached: "+why)
}

// DocumentsNotAttached is ImagesNotAttached for documents.
func DocumentsNotAttached(text string, docs int, why string) string {
	return fileNote(text, docs, "a document", "documents", "not attached: "+why)
}

// attachedNote is "[one, attached]" or "[n plural, attached]" after text
// (on a line of its own), "" when n is 0.
func attachedNote(text string, n int, one, plural string) string {
	return fileNote(text, n, one, plural, "attached")
}

// fileNote is "[one, <status>]" or "[n plural, <status>]" after text (on a
// line of its own), "" when n is 0.
func fileNote(text string, n int, one, plural, status string) string {
	if n == 0 {
		return ""
	}
	note := "[" + one + ", " + status + "]"
	if n > 1 {
		note = fmt.Sprintf("[%d %s, %s]", n, plural, status)
	}
	if strings.TrimSpace(text) == "" {
		return note
	}
	return "\n" + note
}
