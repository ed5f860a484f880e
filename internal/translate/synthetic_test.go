package translate

import (
	"testing"

	qp "qwenproxy"
)

// What OpenCode 1.18.33 and Kilo 7.7.7 sent for `run -f red.png -f
// notes.txt` with "what colour is this image?" on standard input (recorded
// from the agents, their image parts aside): a record of each file's read,
// its Read tool's output, then the user's words — and Kilo's
// <environment_details> after them —, each a text part of its own.
var (
	openCodeReadImage = []string{
		`Called the Read tool with the following input: {"filePath":"/w/red.png"}`,
		"Image read successfully",
	}
	openCodeReadText = []string{
		`Called the Read tool with the following input: {"filePath":"/w/notes.txt"}`,
		"<path>/w/notes.txt</path>\n<type>file</type>\n<content>\n1: line one\n2: line two\n\n(End of file - total 2 lines)\n</content>",
	}
	kiloEnvironment = "\n\n<environment_details>\nMessage time: 2026-12-07T09:12:44Z\nWorking directory: /w\nWorkspace root folder: /\n</environment_details>"
)

// userParts is a user message of text parts as the decoders join them.
func userParts(parts ...string) qp.Message {
	text, breaks := qp.JoinTextParts(parts)
	return qp.Message{Role: "user", Text: text, PartBreaks: breaks}
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// A session is named by the user's words, not by what OpenCode and Kilo
// add around them: their record of the files attached (every session with
// an attachment was named "Called the Read tool with the following input:
// {…", cut before the user's words), Kilo's <environment_details>, and the
// <task> wrapper of Cline's and Roo's extensions; a message of nothing else
// is the session's name as before.
func TestFirstUserTextPassesOverWhatAgentsAddToTheUsersWords(t *testing.T) {
	for _, c := range []struct {
		name string
		msgs []qp.Message
		want string
	}{
		{"OpenCode, an image", []qp.Message{userParts(concat(openCodeReadImage, []string{"what colour is this image?\n"})...)}, "what colour is this image?"},
		{"OpenCode, an image and a text file", []qp.Message{userParts(concat(openCodeReadImage, openCodeReadText, []string{"what colour is this image?\n"})...)}, "what colour is this image?"},
		{"OpenCode, a directory", []qp.Message{userParts(`Called the Read tool with the following input: {"filePath":"/w/src"}`,
			"<path>/w/src</path>\n<type>directory</type>\n<entries>\na.go\n\n(1 entries)\n</entries>", "summarise src")}, "summarise src"},
		{"OpenCode, a failed read", []qp.Message{userParts("Read tool failed to read /w/gone.txt with the following error: ENOENT", "why is it gone?")}, "why is it gone?"},
		// An image OpenCode attaches without its Read tool has no output
		// part: the next part is the user's.
		{"OpenCode, a file without output", []qp.Message{userParts(`Called the Read tool with the following input: {"filePath":"/w/red.png"}`, "what is this?")}, "what is this?"},
		{"OpenCode, a subagent mentioned", []qp.Message{userParts("@explore find the config loader",
			" Use the above message and context to generate a prompt and call the task tool with subagent: explore")}, "@explore find the config loader"},
		{"Kilo", []qp.Message{userParts("write me a very long essay\n", kiloEnvironment)}, "write me a very long essay"},
		{"Kilo, an image", []qp.Message{userParts(concat(openCodeReadImage, []string{"what colour is this image?\n", kiloEnvironment})...)}, "what colour is this image?"},
		{"Cline's extension", []qp.Message{userParts("<task>\nfix the failing test\n</task>", "<environment_details>\n# Current Working Directory (/w) Files\na.go\n</environment_details>")}, "fix the failing test"},
		{"environment details alone, then words", []qp.Message{userParts(kiloEnvironment), {Role: "assistant", Text: "ok"}, userParts("now the tests", kiloEnvironment)}, "now the tests"},
		{"records alone", []qp.Message{userParts(openCodeReadImage...)}, openCodeReadImage[0] + "\n" + openCodeReadImage[1]},
		// The same words sent as one text are the user's: only a part of
		// its own is a record.
		{"one text", []qp.Message{{Role: "user", Text: "Called the Read tool with the following input: is what OpenCode says"}}, "Called the Read tool with the following input: is what OpenCode says"},
		{"a task of the user's", []qp.Message{userParts("<task> is a tag I use", "x")}, "<task> is a tag I use\nx"},
	} {
		if got := FirstUserText(c.msgs); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
