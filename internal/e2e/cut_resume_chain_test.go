package e2e

import (
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/qwensim"
)

// Qwen Code resumes a cut answer up to three times in a row
// (maxContinuationRetries): when its resume is cut too, it resumes again,
// sending as the answer the part it holds so far — the first part and the
// resume's part less a start that repeats the first part's end — and in
// the end keeps that part and the last resumed answer, merged by the same
// rule (mergeDeliveredParts). Its next call goes on in the session and
// chat the last resume was answered in, its new message sent alone — also
// after a restart, and on PostgreSQL.
func TestAResumeCutInTurnContinuesTheSession(t *testing.T) {
	for _, c := range []struct {
		name    string
		backend string
		restart bool
	}{{"sqlite", "sqlite", false}, {"sqlite, restarted before the next call", "sqlite", true}, {"postgres", "postgres", false}} {
		t.Run(c.name, func(t *testing.T) {
			e := startOn(t, c.backend, nil)
			turn := storyTurn(t, e)
			e.sim.Inject(qwensim.Fault{CutAfter: 3})
			first, err := streamUntilErrorWith(t, e, chatParams(turn...))
			if err == nil || strings.TrimSpace(first) == "" {
				t.Fatalf("the cut call did not fail after part of its answer: %q, %v", first, err)
			}
			// The resume is cut too, after its first words: the sim
			// answers "You said: …", which the first part does not end
			// with, so Qwen Code keeps the two parts run together.
			e.sim.Inject(qwensim.Fault{CutAfter: 3})
			second, err := streamUntilErrorWith(t, e, chatParams(append(turn,
				openai.AssistantMessage(first), openai.UserMessage(qwenCodeResumeAfter(first)))...))
			if err == nil || !strings.HasPrefix(second, repeatedEnd) || strings.HasSuffix(first, "You") {
				t.Fatalf("the resume did not fail after a part beginning %q (the first %q): %q, %v", repeatedEnd, first, second, err)
			}
			held := first + second
			resumed, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(turn,
				openai.AssistantMessage(held), openai.UserMessage(qwenCodeResumeAfter(held)))...))
			if err != nil {
				t.Fatal(err)
			}
			// The last resume is answered "You said: …" too: the part held
			// ends with the second part, which that answer begins with —
			// a start Qwen Code takes off.
			answer := resumed.Choices[0].Message.Content
			if !strings.HasPrefix(answer, second) {
				t.Fatalf("the resumed answer %q does not repeat the held part's end %q", answer, second)
			}
			kept := held + strings.TrimPrefix(answer, second)
			if c.restart {
				e.restart()
			}
			got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(turn,
				openai.AssistantMessage(kept), openai.UserMessage("Go on."))...))
			if err != nil {
				t.Fatal(err)
			}
			wantContinued(t, e, got, 5)
			if n := e.sim.Chats(); n != 1 {
				t.Fatalf("%d Qwen chats for one conversation", n)
			}
		})
	}
}

// A client that asks a cut turn again rather than resuming it, and whose
// retry is cut too, resends the turn's answer as the parts and the answer
// of the retry that was answered run together (or that answer alone): its
// next call goes on in the session and chat that answer was given in.
func TestARetryCutInTurnContinuesTheSession(t *testing.T) {
	for _, c := range []struct {
		name string
		kept func(first, second, answer string) string
	}{
		{"the parts and the answer run together", func(a, b, r string) string { return a + b + r }},
		{"the answer alone", func(_, _, r string) string { return r }},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := start(t, nil)
			turn := storyTurn(t, e)
			var parts []string
			for range 2 {
				e.sim.Inject(qwensim.Fault{CutAfter: 3})
				part, err := streamUntilErrorWith(t, e, chatParams(turn...))
				if err == nil || strings.TrimSpace(part) == "" {
					t.Fatalf("the cut call did not fail after part of its answer: %q, %v", part, err)
				}
				parts = append(parts, part)
			}
			retried, err := e.client.Chat.Completions.New(ctxT(t), chatParams(turn...))
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(turn,
				openai.AssistantMessage(c.kept(parts[0], parts[1], retried.Choices[0].Message.Content)), openai.UserMessage("Go on."))...))
			if err != nil {
				t.Fatal(err)
			}
			wantContinued(t, e, got, 5)
		})
	}
}
