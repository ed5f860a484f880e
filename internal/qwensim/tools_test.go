package qwensim

import "testing"

// Coding agents append context after the user's words (Kilo and OpenCode a
// newline and an <environment_details> block, Qwen Code a system reminder):
// the JSON arguments of "use NAME with {…}" must still be read when a line
// break, not a space or the end of the text, follows them.
func TestToolAnswerReadsArgumentsBeforeALineBreak(t *testing.T) {
	for _, msg := range []string{
		`use write with {"filePath": "/w/a.txt", "content": "hi"}`,
		`use write with {"filePath": "/w/a.txt", "content": "hi"}.`,
		"use write with {\"filePath\": \"/w/a.txt\", \"content\": \"hi\"}\n\n<environment_details>\nWorking directory: /w\n</environment_details>",
		"use write with {\"filePath\": \"/w/a.txt\", \"content\": \"hi\"}\r\nmore",
	} {
		c := &chat{tools: []string{"write"}}
		got, ok := toolAnswer(c, msg)
		want := "Let me do that.\n" + callBlock("write", `{"filePath": "/w/a.txt", "content": "hi"}`)
		if !ok || got != want {
			t.Errorf("toolAnswer(%q) = %q, %v; want %q", msg, got, ok, want)
		}
	}
}
