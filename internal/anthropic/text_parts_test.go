package anthropic

import (
	"encoding/json"
	"slices"
	"testing"
)

// OpenCode on Anthropic Messages sends an attached file's record, its Read
// tool's output and the user's words as text blocks of one user message
// (recorded from OpenCode 1.18.33 with @ai-sdk/anthropic). The message
// keeps where each block ends (PartBreaks, as Chat Completions' text parts
// do), so the session is named by the user's words, not by the record.
func TestAUsersTextBlocksKeepTheirBreaks(t *testing.T) {
	var r Request
	body := `{"model":"claude-x","max_tokens":10,"messages":[{"role":"user","content":[
		{"type":"text","text":"Called the Read tool with the following input: {\"filePath\":\"/w/red.png\"}"},
		{"type":"text","text":"Image read successfully"},
		{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"}},
		{"type":"text","text":"what colour is this image?\n","cache_control":{"type":"ephemeral"}}]}]}`
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(false); err != nil {
		t.Fatal(err)
	}
	got := r.Conversation()
	if len(got) != 1 {
		t.Fatalf("messages %+v", got)
	}
	m := got[0]
	const record = `Called the Read tool with the following input: {"filePath":"/w/red.png"}`
	wantText := record + "\nImage read successfully\nwhat colour is this image?\n"
	wantBreaks := []int{len(record), len(record) + len("\nImage read successfully")}
	if m.Text != wantText || !slices.Equal(m.PartBreaks, wantBreaks) || len(m.Images) != 1 {
		t.Fatalf("text %q, breaks %v, %d images; want %q, %v, 1", m.Text, m.PartBreaks, len(m.Images), wantText, wantBreaks)
	}
}
