package translate

import (
	"strings"

	qp "qwenproxy"
)

// OpenCode and Kilo (its fork) send the files a user attaches (`run -f
// red.png`, an @-mention) as text parts of their own in the user's
// message, before the user's words, each file's record ending its Read
// tool's output:
//
//	Called the Read tool with the following input: {"filePath":"/w/red.png"}
//	Image read successfully
//	[the image]
//	Called the Read tool with the following input: {"filePath":"/w/notes.txt"}
//	<path>/w/notes.txt</path>
//	<type>file</type>
//	<content>
//	1: …
//	</content>
//	what colour is this image?
//
// Each line above the user's words is a part of its own, on Chat
// Completions and on Anthropic Messages alike (seen from OpenCode 1.18.33
// and Kilo 7.7.7; the texts are OpenCode's session prompt's and its Read
// tool's). One failed read is one part ("Read tool failed to read …"), and
// an @-mention of a subagent adds one after the user's words ("Use the
// above message and context …").
const (
	readCalled   = "Called the Read tool with the following input: "
	readFailed   = "Read tool failed to read "
	subagentCall = "Use the above message and context to generate a prompt and call the task tool with subagent: "
)

// The output of OpenCode's Read tool that follows its record: an image's
// or a PDF's (which come as attachments), or a text file's or a
// directory's, which opens with its path (<path>…</path> then
// <type>file</type> or <type>directory</type>).
const (
	readImage  = "Image read successfully"
	readPDF    = "PDF read successfully"
	readOutput = "<path>"
)

// withoutSyntheticParts is the text of m less the parts OpenCode and Kilo
// make up for attached files (and a subagent's mention): the user's words,
// and whatever other context the message holds. A message sent as one text
// (no PartBreaks) is its text as it is: its parts are not known.
func withoutSyntheticParts(m *qp.Message) string {
	parts := textParts(m)
	if len(parts) < 2 {
		return m.Text
	}
	kept := make([]string, 0, len(parts))
	for i := 0; i < len(parts); i++ {
		part := strings.TrimSpace(parts[i])
		switch {
		case strings.HasPrefix(part, readCalled):
			// Its output, the next part, goes with it; a file read as an
			// attachment alone (an image OpenCode's prompt attaches itself)
			// has none, and the next part is the user's again.
			if i+1 < len(parts) && isReadOutput(parts[i+1]) {
				i++
			}
		case strings.HasPrefix(part, readFailed), strings.HasPrefix(part, subagentCall):
		default:
			kept = append(kept, parts[i])
		}
	}
	return strings.Join(kept, "\n")
}

func isReadOutput(part string) bool {
	part = strings.TrimSpace(part)
	return part == readImage || part == readPDF || strings.HasPrefix(part, readOutput)
}

// textParts splits m's text into the parts it was joined from, at its
// PartBreaks; the whole text when it has none, or when they do not stand
// on its newlines (a text changed after it was joined).
func textParts(m *qp.Message) []string {
	if len(m.PartBreaks) == 0 {
		return []string{m.Text}
	}
	parts := make([]string, 0, len(m.PartBreaks)+1)
	from, prev := 0, -1
	for _, at := range m.PartBreaks {
		if at <= prev || at >= len(m.Text) || m.Text[at] != '\n' {
			return []string{m.Text}
		}
		parts = append(parts, m.Text[from:at])
		from, prev = at+1, at
	}
	return append(parts, m.Text[from:])
}
