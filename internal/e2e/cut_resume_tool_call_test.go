package e2e

import (
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/qwensim"
)

// Qwen Code resumes a turn whose stream broke off (see
// TestAResumedCutAnswerKeptWholeContinuesTheSession); when the resumed
// answer calls a tool — the model going on with a task of several steps —
// Qwen Code keeps the part and the answer, with its call, as the cut
// turn's answer, and its next call brings the call's result. That call goes
// on in the session and chat the resume was answered in, the result sent
// alone. It opened a new session, its chat told the whole conversation (a
// walk with Qwen Code 0.24.4, 2026-12-07: the task's last step was lost
// with the chat's plan): a resumed answer with calls got no second key.
// The key is the session's, so on PostgreSQL too (several instances).
func TestAResumedCutAnswerWithACallContinuesTheSession(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { resumedCutAnswerWithACall(t, backend) })
	}
}

func resumedCutAnswerWithACall(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	msgs := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("You help with files."),
		openai.UserMessage(`use read_file with {"path": "a"}, then use get_weather with {"city": "Oslo"}`)}
	first, err := e.client.Chat.Completions.New(ctxT(t), toolParams(msgs...))
	if err != nil {
		t.Fatal(err)
	}
	call := first.Choices[0].Message
	if len(call.ToolCalls) != 1 {
		t.Fatalf("first answer %+v", call)
	}
	msgs = append(msgs, call.ToParam(), openai.ToolMessage("A", call.ToolCalls[0].ID))
	e.sim.Inject(qwensim.Fault{CutAfter: 3})
	partial, err := streamUntilErrorWith(t, e, toolParams(msgs...))
	if err == nil || strings.TrimSpace(partial) == "" {
		t.Fatalf("the cut call did not fail after part of its answer: %q, %v", partial, err)
	}
	resumed, err := e.client.Chat.Completions.New(ctxT(t), toolParams(append(msgs,
		openai.AssistantMessage(partial), openai.UserMessage(qwenCodeResumeAfter(partial)))...))
	if err != nil {
		t.Fatal(err)
	}
	next := resumed.Choices[0].Message
	if len(next.ToolCalls) != 1 || next.ToolCalls[0].Function.Name != "get_weather" {
		t.Fatalf("the resumed answer %+v, want the plan's next call", next)
	}
	// What Qwen Code keeps: the part, then the answer less the start that
	// repeats it, and the answer's call.
	kept := next.ToParam()
	kept.OfAssistant.Content.OfString = openai.String(partial + strings.TrimPrefix(next.Content, partial))
	got, err := e.client.Chat.Completions.New(ctxT(t), toolParams(append(msgs,
		kept, openai.ToolMessage("Sunny", next.ToolCalls[0].ID))...))
	if err != nil {
		t.Fatal(err)
	}
	if want := `Thanks: get_weather said "Sunny".`; got.Choices[0].Message.Content != want {
		t.Fatalf("answer %q, want %q", got.Choices[0].Message.Content, want)
	}
	up := upstreamCompletions(t, e.sim)
	if last := messagesOf(up[len(up)-1]); len(last) != 1 || !strings.HasPrefix(last[0]["content"].(string), "Result of get_weather (") {
		t.Fatalf("upstream messages %v, want the result alone", last)
	}
	rows := e.rows()
	if len(rows) != 4 || rows[3].SessionID != rows[2].SessionID || rows[3].ChatID != rows[2].ChatID || rows[0].SessionID != rows[3].SessionID {
		t.Fatalf("%d rows %+v", len(rows), rows)
	}
	if k := e.count(`SELECT COUNT(*) FROM sessions`); k != 1 {
		t.Fatalf("%d sessions for one conversation", k)
	}
}
