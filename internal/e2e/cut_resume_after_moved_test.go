package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"qwenproxy/internal/qwensim"
)

// Qwen Code's conversation whose first turn is cut and resumed — the
// resume goes on in a new chat of the session, the cut one may hold half
// an answer — and whose later turn (`qwen --continue -p …`) is cut too
// stays one session: the resume of that later cut goes on in the session's
// chat, hung under its last answer, the cut turn told as earlier
// conversation and nothing before it told again; so does the memory side
// call that follows each run, and the next turn. The later turn came by
// the history that runs the first cut's part and its resumed answer
// together (asking in the memory side call's place), and the resume of its
// cut, looked up by the answers before the cut, was not found by that
// history: it opened a session and a chat of its own told the whole
// conversation, and the side call after it a third (a walk with Qwen Code
// 0.24.4, 2026-12-07). Also when the later turn's resume is cut in its
// turn and resumed again.
func TestAResumedLaterCutAfterAResumedFirstTurnStaysInTheSession(t *testing.T) {
	for _, c := range []struct {
		name      string
		backend   string
		cuts      int  // the later turn's cuts in a row
		sideCalls bool // Qwen Code's memory side call after each run
		restart   bool // before the later turn's resume
	}{
		{"cut once", "sqlite", 1, true, false},
		{"cut twice in a row", "sqlite", 2, true, false},
		{"cut once, no side calls", "sqlite", 1, false, false},
		{"cut twice in a row, no side calls", "sqlite", 2, false, false},
		{"cut once, restarted before its resume", "sqlite", 1, true, true},
		{"cut once, on postgres", "postgres", 1, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := startOn(t, c.backend, nil)
			system := openai.SystemMessage("You are Qwen Code. Be brief.")
			memory := openai.SystemMessage("You are now acting as the managed memory extraction subagent.")
			remember := openai.UserMessage("Managed memory has TWO directories. Extract what is worth remembering.")
			sideCall := func(convo []openai.ChatCompletionMessageParamUnion) {
				t.Helper()
				if !c.sideCalls {
					return
				}
				if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(append([]openai.ChatCompletionMessageParamUnion{memory}, convo...), remember)...)); err != nil {
					t.Fatal(err)
				}
			}
			ask := openai.UserMessage("Tell me a long story about Tom the cat.")

			// The first run: its turn cut, resumed (in a new chat of the
			// session), and the memory side call.
			e.sim.Inject(qwensim.Fault{CutAfter: 3})
			kept1 := qwenCodeResumedAnswer(t, e, []openai.ChatCompletionMessageParamUnion{system, ask}, 0, nil)
			convo := []openai.ChatCompletionMessageParamUnion{ask, openai.AssistantMessage(kept1)}
			sideCall(convo)
			e.sync()
			firstRun := len(e.rows())
			chat := e.rows()[firstRun-1].ChatID

			// The second run (--continue): its turn cut, resumed (cut again
			// cuts-1 times), the memory side call, and the next turn.
			e.sim.Inject(qwensim.Fault{CutAfter: 2, Times: c.cuts})
			turn2 := append(append([]openai.ChatCompletionMessageParamUnion{system}, convo...),
				openai.UserMessage("Please tell me a long story about many things."))
			kept2 := qwenCodeResumedAnswer(t, e, turn2, c.cuts-1, func() {
				if c.restart {
					e.restart()
				}
			})
			convo = append(turn2[1:len(turn2):len(turn2)], openai.AssistantMessage(kept2))
			sideCall(convo)
			got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(append([]openai.ChatCompletionMessageParamUnion{system}, convo...), openai.UserMessage("Go on."))...))
			if err != nil {
				t.Fatal(err)
			}
			n := firstRun + c.cuts + 2
			if c.sideCalls {
				n++
			}
			wantContinued(t, e, got, n)
			rows := e.rows()
			for i, r := range rows {
				if r.SessionID != rows[0].SessionID {
					t.Fatalf("call %d went to session %s, not the conversation's %s: %+v", i+1, r.SessionID, rows[0].SessionID, rows)
				}
			}
			up := upstreamCompletions(t, e.sim)
			if len(up) != n {
				t.Fatalf("%d completions upstream for %d calls", len(up), n)
			}
			for i := firstRun; i < n; i++ {
				r := rows[i]
				if r.ChatID != chat || r.ParentID == "" || r.NewChatAttempts != 0 {
					t.Fatalf("call %d went on in chat %s under %q (%d new chats), not in the session's chat %s: %+v",
						i+1, r.ChatID, r.ParentID, r.NewChatAttempts, chat, rows)
				}
				// Nothing before the later turn is told again: the first
				// run's turn is the chat's already. (The memory side call's
				// system prompt, another, is.)
				for _, m := range messagesOf(up[i]) {
					if text := fmt.Sprint(m["content"]); strings.Contains(text, "Tom the cat") {
						t.Fatalf("call %d told the chat the conversation again: %q", i+1, text)
					}
				}
			}
			if k := e.sim.Chats(); k != 2 {
				t.Fatalf("%d Qwen chats, want the first turn's and the one its resume moved to", k)
			}
		})
	}
}

// qwenCodeResumedAnswer has Qwen Code's turn turn cut (a fault the caller
// injected), its resume cut again again times, and resumed until answered,
// as Qwen Code 0.24.4 does: each resume sends the part it holds as the
// answer with its message asking to go on. It returns the answer Qwen Code
// keeps: the part and the last resumed answer less a start that repeats
// the part's end. cut, if not nil, runs after the cut turn.
func qwenCodeResumedAnswer(t *testing.T, e *env, turn []openai.ChatCompletionMessageParamUnion, again int, cut func()) string {
	t.Helper()
	part, err := streamUntilErrorWith(t, e, chatParams(turn...))
	if err == nil || strings.TrimSpace(part) == "" {
		t.Fatalf("the cut call did not fail after part of its answer: %q, %v", part, err)
	}
	if cut != nil {
		cut()
	}
	resume := func(part string) openai.ChatCompletionNewParams {
		return chatParams(append(turn[:len(turn):len(turn)], openai.AssistantMessage(part), openai.UserMessage(qwenCodeResumeAfter(part)))...)
	}
	for range again {
		more, err := streamUntilErrorWith(t, e, resume(part))
		if err == nil || strings.TrimSpace(more) == "" {
			t.Fatalf("the cut resume did not fail after part of its answer: %q, %v", more, err)
		}
		part += afterOverlap(part, more)
	}
	resumed, err := e.client.Chat.Completions.New(ctxT(t), resume(part))
	if err != nil {
		t.Fatal(err)
	}
	return part + afterOverlap(part, resumed.Choices[0].Message.Content)
}

// Under X-Session-Id too: the resume of a later turn cut after the first
// was cut and resumed tells the chat the cut turn — the user's message and
// the part — as earlier conversation, before its own message. The session's
// chat holds the answer before the cut by the history that runs the first
// cut's part and its resumed answer together, which the resent history was
// not looked up by: the resume went up alone, hung where the cut turn hung,
// and the model never read the message it was resuming the answer to.
func TestANamedSessionsLaterCutResumeAfterAResumedFirstTurnTellsTheCutTurn(t *testing.T) {
	e := start(t, nil)
	named := option.WithHeader("X-Session-Id", "qwen-code-cut")
	system := openai.SystemMessage("Be brief.")
	ask := openai.UserMessage("Tell me a long story about Tom the cat.")
	cutStream := func(params openai.ChatCompletionNewParams) string {
		t.Helper()
		stream := e.client.Chat.Completions.NewStreaming(ctxT(t), params, named)
		var got strings.Builder
		for stream.Next() {
			for _, c := range stream.Current().Choices {
				got.WriteString(c.Delta.Content)
			}
		}
		if stream.Err() == nil || strings.TrimSpace(got.String()) == "" {
			t.Fatalf("the cut call did not fail after part of its answer: %q, %v", got.String(), stream.Err())
		}
		return got.String()
	}
	resume := func(turn []openai.ChatCompletionMessageParamUnion, part string) *openai.ChatCompletion {
		t.Helper()
		got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(turn[:len(turn):len(turn)],
			openai.AssistantMessage(part), openai.UserMessage(qwenCodeResumeAfter(part)))...), named)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	turn := []openai.ChatCompletionMessageParamUnion{system, ask}
	e.sim.Inject(qwensim.Fault{CutAfter: 3})
	part := cutStream(chatParams(turn...))
	kept := part + afterOverlap(part, resume(turn, part).Choices[0].Message.Content)
	const more = "Please say more about his friends."
	turn = append(turn, openai.AssistantMessage(kept), openai.UserMessage(more))
	e.sim.Inject(qwensim.Fault{CutAfter: 2})
	part = cutStream(chatParams(turn...))
	resume(turn, part)
	up := upstreamCompletions(t, e.sim)
	last := fmt.Sprint(messagesOf(up[len(up)-1])[0]["content"])
	if !strings.Contains(last, more) || !strings.Contains(last, "[Earlier conversation, for context]") || strings.Contains(last, "Tom the cat") {
		t.Fatalf("the resume sent %q, want the cut turn told as earlier conversation and nothing before it", last)
	}
	e.sync()
	rows := e.rows()
	if len(rows) != 4 || rows[3].Status != "success" || rows[3].ChatID != rows[1].ChatID || rows[3].ParentID == "" {
		t.Fatalf("%d rows %+v", len(rows), rows)
	}
}
