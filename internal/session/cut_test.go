package session

import (
	"testing"

	qp "qwenproxy"
)

// The second key a retried answer gets after a cut is the key of the history
// a client resends with the cut's part and that answer run together, as the
// client trims it: the part's leading whitespace and the answer's trailing
// whitespace are not keyed, what joins them is. Parts of cuts in a row run
// together in order; a conversation other than the cut one's, an answer
// that calls tools, or a part of whitespace alone gives none.
func TestTheMergedKeyIsTheKeyOfTheHistoryThatRunsPartAndAnswerTogether(t *testing.T) {
	sent := []qp.Message{{Role: "system", Text: "Be brief."}, {Role: "user", Text: "Tell me a story."}}
	merged := func(text string) string {
		return historyMergedKey(append(append([]qp.Message(nil), sent...), qp.Message{Role: "assistant", Text: text}))
	}
	answer := func(turn *Turn, msgs []qp.Message, text string, calls ...qp.ToolCall) string {
		turn.Merged(msgs, &qp.Message{Role: "assistant", Text: text, ToolCalls: calls})
		return turn.mergedKey
	}
	cases := []struct {
		name     string
		partials []string
		answer   string
		want     string // the text the client resends, "" for no key
	}{
		{"one cut", []string{"Once upon"}, " a time.", "Once upon a time."},
		{"whitespace around", []string{"\n  Once upon "}, "a time.\n\n", "Once upon a time."},
		{"two cuts in a row", []string{"Once", " upon"}, " a time.", "Once upon a time."},
		{"a part of whitespace alone", []string{" \n"}, "Once upon a time.", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			turn := &Turn{}
			for _, p := range c.partials {
				turn.Cut(sent, p)
			}
			got := answer(turn, sent, c.answer)
			switch {
			case c.want == "" && got != "":
				t.Fatalf("a key %s", got)
			case c.want != "" && got != merged(c.want):
				t.Fatalf("key %q, want that of %q", got, c.want)
			}
		})
	}
	turn := &Turn{}
	turn.Cut(sent, "Once upon")
	if got := answer(turn, append(sent[:1:1], qp.Message{Role: "user", Text: "Something else."}), " a time."); got != "" {
		t.Fatalf("another conversation's answer has a key %s", got)
	}
	if got := answer(turn, sent, "", qp.ToolCall{ID: "call_1", Name: "read", Arguments: "{}"}); got != "" {
		t.Fatalf("an answer that calls tools has a key %s", got)
	}
	// A cut of another conversation starts over.
	turn.Cut(append(sent[:1:1], qp.Message{Role: "user", Text: "Something else."}), "Twice")
	turn.Cut(sent, "Once")
	if got := answer(turn, sent, " upon a time."); got != merged("Once upon a time.") {
		t.Fatalf("key %q after another conversation's cut", got)
	}
	if historyMergedKey(append(sent, qp.Message{Role: "assistant", Text: "x", ToolCalls: []qp.ToolCall{{ID: "c", Name: "n"}}})) != "" {
		t.Fatal("a history whose last answer calls tools has a merged key")
	}
}

// Qwen Code resumes a cut turn — the cut conversation, the part as the
// answer, its request to go on — and keeps as the turn's answer the part
// and the resumed answer less the start that repeats the part's end
// (resumedRest): the resumed answer's second key is that history's. A
// resume whose part is not the one the cut left gets none.
func TestTheResumedAnswersKeyIsThatOfThePartAndTheAnswerLessTheRepeatedStart(t *testing.T) {
	sent := []qp.Message{{Role: "system", Text: "Be brief."}, {Role: "user", Text: "Tell me a story."}}
	merged := func(text string) string { return mergedAfter(sent, text) }
	resume := func(part string) []qp.Message { return resumeOf(sent, part) }
	cases := []struct {
		name, partial, answer, want string
	}{
		{"a repeated start", "\nOnce upon a time", "a time, there was a cat.\n", "Once upon a time, there was a cat."},
		{"nothing repeated", "Once upon", " a time.", "Once upon a time."},
		{"a start too short to be taken for repeated", "Once upon", " upon a time.", "Once upon upon a time."},
		{"the part's end alone", "Once upon a time. ", "a time. ", "Once upon a time."},
		{"a table row repeated", "Intro\n| aa | bb |\n| c", "| aa | bb |\nmore", "Intro\n| aa | bb |\n| c\nmore"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			turn := &Turn{}
			turn.Cut(sent, c.partial)
			turn.Merged(resume(c.partial), &qp.Message{Role: "assistant", Text: c.answer})
			if want := merged(c.want); turn.mergedKey != want {
				t.Fatalf("key %q, want that of %q (%s)", turn.mergedKey, c.want, want)
			}
		})
	}
	turn := &Turn{}
	turn.Cut(sent, "Once upon a time")
	if turn.Merged(resume("Twice upon a time"), &qp.Message{Role: "assistant", Text: "a time, there was"}); turn.mergedKey != "" {
		t.Fatalf("a resume of another part has a key %s", turn.mergedKey)
	}
}

// A client that keeps, as one answer, the part of a cut one and the
// answer that followed may send them as two text parts of one message:
// the history is keyed as the parts run together, nothing between them
// (the Chat Completions decoder joins them by a newline).
func TestAnAnswerResentAsTwoTextPartsIsKeyedAsThePartsRunTogether(t *testing.T) {
	sent := []qp.Message{{Role: "user", Text: "Tell me a story."}}
	turn := &Turn{}
	turn.Cut(sent, "Once upon")
	turn.Merged(sent, &qp.Message{Role: "assistant", Text: " a time."})
	text, breaks := qp.JoinTextParts([]string{"Once upon", " a time."})
	if got := historyMergedKey(append(sent[:1:1], qp.Message{Role: "assistant", Text: text, PartBreaks: breaks})); got != turn.mergedKey || got == "" {
		t.Fatalf("key %q of the parts, want %q", got, turn.mergedKey)
	}
}

// Qwen Code, whose resume is cut too, resumes again with the part it holds
// — the part it resumed and the resume's partial less the start that
// repeats that part's end —, up to three times in a row, and keeps in the
// end that part and the last answer merged by the same rule: each resume
// cut extends the cut's state to the part as the client holds it, of the
// cut conversation, so that the next resume is known and its answer keyed
// as the client keeps it. The state stays its size. A resume of a part the
// client no longer holds gets no key.
func TestAResumeCutInTurnExtendsTheCutToThePartTheClientHolds(t *testing.T) {
	sent := []qp.Message{{Role: "system", Text: "Be brief."}, {Role: "user", Text: "Tell me a story."}}
	merged := func(text string) string { return mergedAfter(sent, text) }
	resume := func(part string) []qp.Message { return resumeOf(sent, part) }
	turn := &Turn{}
	turn.Cut(sent, "\nOnce upon a time")
	size := len(turn.Session.CutState)
	// Each resume is cut after words that repeat the end of the part it
	// was sent: the client holds the part and what follows.
	turn.Cut(resume("\nOnce upon a time"), "upon a time, there was")
	turn.Cut(resume("\nOnce upon a time, there was"), " there was a cat")
	const held = "\nOnce upon a time, there was a cat"
	if len(turn.Session.CutState) != size {
		t.Fatalf("the cut state grew from %d to %d bytes", size, len(turn.Session.CutState))
	}
	for _, stale := range []string{"\nOnce upon a time", "\nOnce upon a time, there was"} {
		if turn.Merged(resume(stale), &qp.Message{Role: "assistant", Text: " who sat."}); turn.mergedKey != "" {
			t.Fatalf("a resume of %q, a part the client no longer holds, has a key %s", stale, turn.mergedKey)
		}
	}
	turn.Merged(resume(held), &qp.Message{Role: "assistant", Text: " a cat who sat."})
	if want := merged("Once upon a time, there was a cat who sat."); turn.mergedKey != want {
		t.Fatalf("key %q, want that of the held part and the answer less its repeated start (%s)", turn.mergedKey, want)
	}
	// A resume cut whose part is not the cut's starts over, of its own
	// conversation.
	turn = &Turn{}
	turn.Cut(sent, "Once")
	turn.Cut(resume("Twice"), "Thrice")
	if turn.Merged(resume("Twice"), &qp.Message{Role: "assistant", Text: " more."}); turn.mergedKey != historyMergedKey(append(resume("Twice"), qp.Message{Role: "assistant", Text: "Thrice more."})) {
		t.Fatalf("key %q after a cut resume of another part", turn.mergedKey)
	}
}

// mergedAfter is the merged key of the history sent answered with text.
func mergedAfter(sent []qp.Message, text string) string {
	return historyMergedKey(append(append([]qp.Message(nil), sent...), qp.Message{Role: "assistant", Text: text}))
}

// resumeOf is Qwen Code's resume of sent cut after part: the part as the
// answer, then its request to go on.
func resumeOf(sent []qp.Message, part string) []qp.Message {
	return append(append([]qp.Message(nil), sent...), qp.Message{Role: "assistant", Text: part},
		qp.Message{Role: "user", Text: "The connection dropped mid-response. Resume directly."})
}
