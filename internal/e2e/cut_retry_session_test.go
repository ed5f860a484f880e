package e2e

import (
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// cutThenRetried makes the call of msgs twice, as an agent does whose
// stream broke off mid-answer: the first stream is cut after part of the
// answer reached the client (returned as partial), the client's retry of
// the same messages is answered (retried). on makes the retry's call (nil:
// e).
func cutThenRetried(t *testing.T, e, on *env, msgs ...openai.ChatCompletionMessageParamUnion) (partial, retried string) {
	t.Helper()
	if on == nil {
		on = e
	}
	e.sim.Inject(qwensim.Fault{CutAfter: 3})
	partial, err := streamUntilErrorWith(t, e, chatParams(msgs...))
	if err == nil || strings.TrimSpace(partial) == "" {
		t.Fatalf("the cut call did not fail after part of its answer: %q, %v", partial, err)
	}
	e.sync()
	got, err := on.client.Chat.Completions.New(ctxT(t), chatParams(msgs...))
	if err != nil {
		t.Fatal(err)
	}
	return partial, got.Choices[0].Message.Content
}

// Qwen Code, whose stream broke off mid-answer and whose retry was
// answered, resends that turn's answer as the part it got before the cut
// and the retried answer run together. Its next call goes on in the chat
// the retry was answered in, only its new message sent, as it does when
// the client keeps the retried answer alone — not in a new chat told the
// whole conversation again. Whether the cut turn is the conversation's
// first (its retry goes to a new chat of the same session) or a later one.
func TestAnAnswerResentWithItsCutPartContinuesTheSession(t *testing.T) {
	cases := []struct {
		name string
		// kept is the answer the client resends, of the part it got before
		// the cut and the retried answer.
		kept func(partial, retried string) string
	}{
		{"partial and retry run together (Qwen Code)", func(p, r string) string { return p + r }},
		{"the retry alone", func(_, r string) string { return r }},
	}
	for _, c := range cases {
		t.Run(c.name+", a later turn", func(t *testing.T) {
			e := start(t, nil)
			turn := storyTurn(t, e)
			partial, retried := cutThenRetried(t, e, nil, turn...)
			got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(turn,
				openai.AssistantMessage(c.kept(partial, retried)), openai.UserMessage("Go on."))...))
			if err != nil {
				t.Fatal(err)
			}
			wantContinued(t, e, got, 4)
		})
		t.Run(c.name+", the first turn", func(t *testing.T) {
			e := start(t, nil)
			turn := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Tell me a long story.")}
			partial, retried := cutThenRetried(t, e, nil, turn...)
			got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(turn,
				openai.AssistantMessage(c.kept(partial, retried)), openai.UserMessage("Go on."))...))
			if err != nil {
				t.Fatal(err)
			}
			wantContinued(t, e, got, 3)
		})
	}
}

// Two instances on one PostgreSQL database (and one Qwen): the cut call on
// one, its retry on the other, the next call back on the first. What the
// cut left and the key it gave the retried answer are the session's, in
// the database.
func TestAnAnswerResentWithItsCutPartContinuesTheSessionAcrossInstances(t *testing.T) {
	a := startOn(t, "postgres", nil)
	b := startOn(t, "postgres", func(c *config.Config) { c.DatabaseURL, c.QwenBaseURL = a.dbURL, a.sim.URL })
	turn := storyTurn(t, a)
	partial, retried := cutThenRetried(t, a, b, turn...)
	b.sync()
	got, err := a.client.Chat.Completions.New(ctxT(t), chatParams(append(turn,
		openai.AssistantMessage(partial+retried), openai.UserMessage("Go on."))...))
	if err != nil {
		t.Fatal(err)
	}
	wantContinued(t, a, got, 4)
}

// storyTurn answers a conversation's first turn on e and returns the
// conversation with its second turn, which asks for a long answer.
func storyTurn(t *testing.T, e *env) []openai.ChatCompletionMessageParamUnion {
	t.Helper()
	first, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("My cat is called Tom.")))
	if err != nil {
		t.Fatal(err)
	}
	return []openai.ChatCompletionMessageParamUnion{openai.UserMessage("My cat is called Tom."),
		openai.AssistantMessage(first.Choices[0].Message.Content), openai.UserMessage("Tell me a long story about him.")}
}

// wantContinued checks that the last of n calls (the turn after a cut one
// and its retry) went on in the session and chat the retry was answered
// in, Qwen sent its new message alone.
func wantContinued(t *testing.T, e *env, got *openai.ChatCompletion, n int) {
	t.Helper()
	up := upstreamCompletions(t, e.sim)
	if last := messagesOf(up[len(up)-1]); len(last) != 1 || last[0]["content"] != "Go on." {
		t.Fatalf("upstream messages %v, want the new message alone", last)
	}
	if !strings.Contains(got.Choices[0].Message.Content, "Go on.") {
		t.Fatalf("answer %q", got.Choices[0].Message.Content)
	}
	rows := e.rows()
	if len(rows) != n || rows[n-2].Status != "success" || rows[n-1].SessionID != rows[n-2].SessionID || rows[n-1].ChatID != rows[n-2].ChatID {
		t.Fatalf("%d rows %+v", len(rows), rows)
	}
	if k := e.count(`SELECT COUNT(*) FROM sessions`); k != 1 {
		t.Fatalf("%d sessions for one conversation", k)
	}
}

// A client that keeps the part of a cut answer it got, and asks its next
// turn without a retry, goes on in the session's chat, the cut turn told as
// earlier conversation (as a turn the client left).
func TestACutPartKeptWithoutARetryContinuesTheSession(t *testing.T) {
	e := start(t, nil)
	turn := storyTurn(t, e)
	e.sim.Inject(qwensim.Fault{CutAfter: 3})
	partial, err := streamUntilErrorWith(t, e, chatParams(turn...))
	if err == nil || strings.TrimSpace(partial) == "" {
		t.Fatalf("the cut call did not fail after part of its answer: %q, %v", partial, err)
	}
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(turn,
		openai.AssistantMessage(partial), openai.UserMessage("Go on."))...)); err != nil {
		t.Fatal(err)
	}
	up := upstreamCompletions(t, e.sim)
	want := "[Earlier conversation, for context]\n\nUser: Tell me a long story about him.\n\nAssistant: " + strings.TrimSpace(partial) +
		"\n\n[End of earlier conversation]\n\nGo on."
	if last := messagesOf(up[len(up)-1]); len(last) != 1 || last[0]["content"] != want {
		t.Fatalf("upstream messages %v, want %q", last, want)
	}
	rows := e.rows()
	if len(rows) != 3 || rows[2].SessionID != rows[0].SessionID || rows[2].ChatID != rows[0].ChatID || e.sim.Chats() != 1 {
		t.Fatalf("%d rows %+v over %d chats", len(rows), rows, e.sim.Chats())
	}
}

// qwenCodeResumeAfter is the message Qwen Code (@qwen-code/qwen-code
// 0.24.4) sends after the part of a cut answer, asking the model to go on:
// its TRANSPORT_CONTINUATION_MESSAGE and the part's end
// (buildRecoveryMessageFromText: its last 1200 characters).
func qwenCodeResumeAfter(part string) string {
	tail := part
	if r := []rune(part); len(r) > 1200 {
		tail = string(r[len(r)-1200:])
	}
	return "The connection dropped mid-response. Resume directly — no apology, no recap of what you were doing. " +
		"Pick up mid-thought if that is where the cut happened. Break remaining work into smaller pieces.\n\n" +
		"The previous assistant response ended with this exact suffix. Do not repeat any line, table row, code line, " +
		"or prose that already appears in it; output only text that comes after this suffix:\n\n" +
		"<previous_response_suffix>\n" + tail + "\n</previous_response_suffix>"
}

// Qwen Code does not ask a cut turn again: it resumes it — the cut
// conversation, the part it got as the answer, its message asking to go on
// — and keeps, as the cut turn's answer, the part and the resumed answer
// run together, without that message. Its next call goes on in the session
// and chat the resume was answered in, its new message sent alone (a fresh
// walk with the real agent, 2026-12-06: a new session, the conversation
// told again). So also when Qwen Code's side call (its memory's) comes
// between, resending that history with an instruction of its own: the next
// call asks in the side call's place.
func TestAResumedCutAnswerKeptWholeContinuesTheSession(t *testing.T) {
	for _, c := range []struct {
		later, sideCall bool
	}{{true, false}, {false, false}, {false, true}, {true, true}} {
		later := c.later
		name := "the first turn"
		if later {
			name = "a later turn"
		}
		if c.sideCall {
			name += ", a side call between"
		}
		t.Run(name, func(t *testing.T) {
			e := start(t, nil)
			turn := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Tell me a long story.")}
			n := 3
			if later {
				turn = storyTurn(t, e)
				n = 4
				if c.sideCall { // after every turn, as Qwen Code's memory does
					if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(turn[:2:2],
						openai.UserMessage("Extract what is worth remembering from this conversation."))...)); err != nil {
						t.Fatal(err)
					}
					n++
				}
			}
			e.sim.Inject(qwensim.Fault{CutAfter: 3})
			partial, err := streamUntilErrorWith(t, e, chatParams(turn...))
			if err == nil || strings.TrimSpace(partial) == "" {
				t.Fatalf("the cut call did not fail after part of its answer: %q, %v", partial, err)
			}
			resumed, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(turn,
				openai.AssistantMessage(partial), openai.UserMessage(qwenCodeResumeAfter(partial)))...))
			if err != nil {
				t.Fatal(err)
			}
			kept := append(turn, openai.AssistantMessage(partial+resumed.Choices[0].Message.Content))
			if c.sideCall {
				if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(kept,
					openai.UserMessage("Extract what is worth remembering from this conversation."))...)); err != nil {
					t.Fatal(err)
				}
				n++
			}
			got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(kept, openai.UserMessage("Go on."))...))
			if err != nil {
				t.Fatal(err)
			}
			wantContinued(t, e, got, n)
		})
	}
}
