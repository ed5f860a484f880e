package e2e

import (
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/qwensim"
)

// repeatAsk makes the simulator's answer end its first words where the
// answer to a resume begins ("You said: …"), so that the resumed answer
// repeats the part's end as a model picking up mid-thought does.
const repeatAsk = "Say after me: You said: and then tell a long story."

// repeatedEnd is the start of the resumed answer that repeats the end of
// the part cut after repeatCut answer events.
const (
	repeatedEnd = "You said:"
	repeatCut   = 7
)

// Qwen Code resumes a cut answer and keeps, as the cut turn's answer, the
// part it got and the resumed answer less the start that repeats the
// part's end (its getRecoveryContinuationSuffix): not the two run
// together. Its next call goes on in the session and chat the resume was
// answered in, its new message sent alone — also after a restart, and on
// PostgreSQL.
func TestAResumedAnswerKeptLessItsRepeatedStartContinuesTheSession(t *testing.T) {
	for _, c := range []struct {
		name    string
		backend string
		restart bool
	}{{"sqlite", "sqlite", false}, {"sqlite, restarted before the next call", "sqlite", true}, {"postgres", "postgres", false}} {
		t.Run(c.name, func(t *testing.T) {
			e := startOn(t, c.backend, nil)
			turn := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage(repeatAsk)}
			e.sim.Inject(qwensim.Fault{CutAfter: repeatCut})
			partial, err := streamUntilErrorWith(t, e, chatParams(turn...))
			if err == nil || !strings.HasSuffix(partial, repeatedEnd) {
				t.Fatalf("the cut call did not fail after a part ending with %q: %q, %v", repeatedEnd, partial, err)
			}
			resumed, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(turn,
				openai.AssistantMessage(partial), openai.UserMessage(qwenCodeResumeAfter(partial)))...))
			if err != nil {
				t.Fatal(err)
			}
			answer := resumed.Choices[0].Message.Content
			if !strings.HasPrefix(answer, repeatedEnd) {
				t.Fatalf("the resumed answer %q does not repeat the part's end %q", answer, repeatedEnd)
			}
			// What Qwen Code keeps: the longest start of the answer the part
			// ends with ("You said:", nine bytes: significant) taken off.
			kept := partial + strings.TrimPrefix(answer, repeatedEnd)
			if c.restart {
				e.restart()
			}
			got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(turn,
				openai.AssistantMessage(kept), openai.UserMessage("Go on."))...))
			if err != nil {
				t.Fatal(err)
			}
			wantContinued(t, e, got, 3)
		})
	}
}
