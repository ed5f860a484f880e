package e2e

import (
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/qwensim"
)

// Qwen Code resumes a cut answer and, when its resume is cut too, resumes
// again with the part it then holds: the first part and the second run
// together. When the cut turn is the conversation's first, the failed
// resume re-keyed its session by the resume's own conversation, so the
// second resume (which resends the first turn, not the first resume)
// opened a session of its own, and every later turn went on there: one
// conversation showed as three sessions (seen with Qwen Code 0.24.4 and
// two cut_after faults in a row).
func TestAFirstTurnWhoseResumeIsCutTooStaysOneSession(t *testing.T) {
	e := start(t, nil)
	turn := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Tell me a long story.")}
	resume := func(part string) openai.ChatCompletionNewParams {
		return chatParams(append(turn[:len(turn):len(turn)], openai.AssistantMessage(part), openai.UserMessage(qwenCodeResumeAfter(part)))...)
	}
	e.sim.Inject(qwensim.Fault{CutAfter: 3, Times: 2})
	part, err := streamUntilErrorWith(t, e, chatParams(turn...))
	if err == nil || strings.TrimSpace(part) == "" {
		t.Fatalf("the cut call did not fail after part of its answer: %q, %v", part, err)
	}
	more, err := streamUntilErrorWith(t, e, resume(part))
	if err == nil || strings.TrimSpace(more) == "" {
		t.Fatalf("the cut resume did not fail after part of its answer: %q, %v", more, err)
	}
	part += more
	resumed, err := e.client.Chat.Completions.New(ctxT(t), resume(part))
	if err != nil {
		t.Fatal(err)
	}
	// Qwen Code keeps the part and the resumed answer less a start that
	// repeats the part's end; its next turn goes on in the session.
	kept := append(turn[:len(turn):len(turn)], openai.AssistantMessage(part+afterOverlap(part, resumed.Choices[0].Message.Content)))
	got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(kept, openai.UserMessage("Go on."))...))
	if err != nil {
		t.Fatal(err)
	}
	wantContinued(t, e, got, 4)
	e.sync()
	rows := e.rows()
	if len(rows) != 4 || rows[2].Status != "success" {
		t.Fatalf("%d rows %+v", len(rows), rows)
	}
	for i, r := range rows[1:] {
		if r.SessionID != rows[0].SessionID {
			t.Fatalf("call %d went to session %s, not the cut turn's %s", i+2, r.SessionID, rows[0].SessionID)
		}
	}
	if k := e.count(`SELECT COUNT(*) FROM sessions`); k != 1 {
		t.Fatalf("%d sessions for one conversation", k)
	}
}

// afterOverlap is answer less its longest start, of 6 bytes or more, that
// ends part: what Qwen Code 0.24.4 keeps of a resumed answer of prose
// (RECOVERY_OVERLAP_MIN_BYTES), as the simulator's answers are.
func afterOverlap(part, answer string) string {
	for n := min(len(part), len(answer)); n >= 6; n-- {
		if strings.HasSuffix(part, answer[:n]) {
			return answer[n:]
		}
	}
	return answer
}
