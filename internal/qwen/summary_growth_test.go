package qwen

import (
	"strings"
	"testing"
)

// summaryEvent is a 2026 thinking_summary delta whose summary_thought holds
// paragraphs, as the simulator's encoder and Qwen write it.
func summaryEvent(status string, paragraphs ...string) string {
	quoted := make([]string, len(paragraphs))
	for i, p := range paragraphs {
		quoted[i] = `"` + p + `"`
	}
	return `data: {"choices": [{"delta": {"role": "assistant", "content": "", "phase": "thinking_summary", "status": "` + status +
		`", "extra": {"summary_title": {"content": ["Thinking"]}, "summary_thought": {"content": [` + strings.Join(quoted, ", ") + `]}}}}], "response_id": "r1"}` + "\n\n"
}

// Qwen's summary_thought is cumulative in two ways: new paragraphs are
// appended, and the paragraph being written grows in place from event to
// event (the 2026 clients read the text so far and take what extends it:
// content[0] growing, the joined list compared by length or by common
// prefix). Counting paragraphs alone returned each paragraph's first
// fragment and lost the rest of it.
func TestThinkingSummaryParagraphsThatGrowInPlaceAreReadWhole(t *testing.T) {
	body := `data: {"response.created":{"chat_id": "c1", "parent_id": "p1", "response_id":"r1", "response_index": "0"}} ` + "\n\n" +
		summaryEvent("typing", "The user") +
		summaryEvent("typing", "The user asks for a greeting.") +
		summaryEvent("typing", "The user asks for a greeting.", "I will") +
		summaryEvent("typing", "The user asks for a greeting.", "I will answer briefly.") +
		summaryEvent("finished", "The user asks for a greeting.", "I will answer briefly.") +
		`data: {"choices": [{"delta": {"role": "assistant", "content": "Hello", "phase": "answer", "status": "typing"}}], "response_id": "r1"}` + "\n\n" +
		`data: {"choices": [{"delta": {"content": "", "role": "assistant", "status": "finished", "phase": "answer"}}], "response_id": "r1"}` + "\n\n"
	evs, err := readAll(t, testStream(t, body))
	if err != nil {
		t.Fatal(err)
	}
	var thought, answer strings.Builder
	for _, ev := range evs {
		switch ev.Phase {
		case PhaseThinkingSummary:
			thought.WriteString(ev.Content)
		case PhaseAnswer:
			answer.WriteString(ev.Content)
		}
	}
	if want := "The user asks for a greeting.\n\nI will answer briefly."; thought.String() != want {
		t.Fatalf("thinking %q, want %q", thought.String(), want)
	}
	if answer.String() != "Hello" {
		t.Fatalf("answer %q", answer.String())
	}
}

// A summary Qwen rewrites (a paragraph returned that no longer begins the
// new one) cannot be taken back: what follows it is read as new paragraphs
// only, never the returned text again.
func TestARewrittenThinkingSummaryIsNotRepeated(t *testing.T) {
	body := summaryEvent("typing", "First draft") +
		summaryEvent("typing", "Revised text", "Second") +
		summaryEvent("finished", "Revised text", "Second")
	evs, err := readAll(t, testStream(t, body))
	if err != nil {
		t.Fatal(err)
	}
	var thought strings.Builder
	for _, ev := range evs {
		thought.WriteString(ev.Content)
	}
	if want := "First draft\n\nSecond"; thought.String() != want {
		t.Fatalf("thinking %q, want %q", thought.String(), want)
	}
}
