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

// A history replayed into a new chat (after a restart, a lost chat, a
// client's changed history) holds the earlier turns' tool results; the
// model answers the new turn, as Qwen does: "use NAME" there is a call, and
// only the new turn's results are acknowledged.
func TestToolAnswerFollowsTheNewTurnAfterAReplay(t *testing.T) {
	earlier := "[Earlier conversation, for context]\n\nUser: use write with {\"path\": \"a\"}\n\n\nAssistant: Let me do that.\n\n" +
		"Assistant (call call_1):\n<tool_call>\n{\"name\": \"write\", \"arguments\": {\"path\":\"a\"}}\n</tool_call>\n\n" +
		"Result of write (call_1):\nwritten\n\nAssistant: Thanks: write said \"written\".\n\n[End of earlier conversation]\n\n"
	c := &chat{tools: []string{"write", "bash"}}
	got, ok := toolAnswer(c, earlier+`use bash with {"command": "ls"}`)
	if want := "Let me do that.\n" + callBlock("bash", `{"command": "ls"}`); !ok || got != want {
		t.Errorf("a new turn after a replay: %q, %v; want %q", got, ok, want)
	}
	got, ok = toolAnswer(c, earlier+"Result of bash (call_2):\nfiles")
	if want := `Thanks: bash said "files".`; !ok || got != want {
		t.Errorf("a new turn's result after a replay: %q, %v; want %q", got, ok, want)
	}
}
