package main

import (
	"bytes"
	"testing"

	"qwenproxy/internal/historyapi"
)

// sessions show labels a tool result its client sent as failed (Anthropic's
// is_error) as such; it read as any other result.
func TestTranscriptLabelsAFailedToolResult(t *testing.T) {
	var b bytes.Buffer
	printMessage(&b, historyapi.MessageJSON{Role: "tool", ToolCallID: "tu1", Content: "Exit code 1", IsError: true}, false)
	printMessage(&b, historyapi.MessageJSON{Role: "tool", ToolCallID: "tu2", Content: "ok"}, false)
	if want := "FAILED TOOL RESULT (tu1)\n  Exit code 1\nTOOL RESULT (tu2)\n  ok\n"; b.String() != want {
		t.Fatalf("printed %q, want %q", b.String(), want)
	}
}
