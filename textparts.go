package qwenproxy

import "strings"

// JoinTextParts joins a message's text parts as Message.Text holds them, a
// newline between two, and returns where those newlines stand
// (Message.PartBreaks): a Responses message's content parts are joined so,
// and an Anthropic user message's text blocks.
// (Chat Completions' decoder joins its parts alike but for a newline after
// nothing, and records its own breaks; Anthropic's assistant text blocks
// are pieces of one text, joined by nothing.)
func JoinTextParts(parts []string) (text string, breaks []int) {
	if len(parts) <= 1 {
		return strings.Join(parts, ""), nil
	}
	var b strings.Builder
	breaks = make([]int, 0, len(parts)-1)
	for i, p := range parts {
		if i > 0 {
			breaks = append(breaks, b.Len())
			b.WriteByte('\n')
		}
		b.WriteString(p)
	}
	return b.String(), breaks
}

// PartsRunTogether is the message's text with its parts run together,
// nothing between them: Text less the newlines at PartBreaks. A client
// that keeps, as one answer, the part of a cut one and the answer that
// followed may send them as two text parts of one message, whose text is
// the two run together (as its own history holds them). Text itself when
// PartBreaks do not stand on Text's newlines (a text changed after it was
// joined).
func (m *Message) PartsRunTogether() string {
	if len(m.PartBreaks) == 0 {
		return m.Text
	}
	prev := -1
	for _, at := range m.PartBreaks {
		if at <= prev || at >= len(m.Text) || m.Text[at] != '\n' {
			return m.Text
		}
		prev = at
	}
	var b strings.Builder
	b.Grow(len(m.Text) - len(m.PartBreaks))
	from := 0
	for _, at := range m.PartBreaks {
		b.WriteString(m.Text[from:at])
		from = at + 1
	}
	b.WriteString(m.Text[from:])
	return b.String()
}
