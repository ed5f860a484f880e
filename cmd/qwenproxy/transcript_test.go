package main

import (
	"bytes"
	"strings"
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

// sessions show says which of a call's bodies were stored cut (over
// RECORD_MAX_BODY_BYTES), where it showed the turn as if nothing had been
// sent or answered.
func TestTranscriptSaysWhichBodiesWereStoredCut(t *testing.T) {
	var b bytes.Buffer
	printTranscript(&b, []historyapi.TurnJSON{{ID: 3, Input: []historyapi.MessageJSON{}, Bodies: true, Truncated: []string{"request", "response"}}}, false)
	for _, want := range []string{
		"  (the request was stored cut, over RECORD_MAX_BODY_BYTES: its messages are not in the history)\n",
		"  (the response was stored cut, over RECORD_MAX_BODY_BYTES: its messages are not in the history)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("printed %q, want it to hold %q", b.String(), want)
		}
	}
}
