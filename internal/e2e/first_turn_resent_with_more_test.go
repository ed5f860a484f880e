package e2e

import (
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/qwensim"
)

// A first turn whose answer broke off (a user's Ctrl-C), resent by the
// client with words of its own and the next ask and no answer between them,
// as Codex's `exec resume` after an interrupted first turn sends it (its
// "<turn_aborted>" note, then the new request): the conversation goes on in
// the session the first turn opened. It opened a second session, the first
// left with its failed call alone.
func TestAFirstTurnLeftAndResentWithMoreWordsContinuesItsSession(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { firstTurnLeftAndResentWithMoreWords(t, backend) })
	}
}

func firstTurnLeftAndResentWithMoreWords(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	first := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("You are a coding agent."), openai.UserMessage("My horse is called Pip.")}
	e.sim.Inject(qwensim.Fault{CutAfter: 3})
	if _, err := streamUntilErrorWith(t, e, chatParams(first...)); err == nil {
		t.Fatal("the cut first turn did not fail")
	}
	got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(first,
		openai.UserMessage("<turn_aborted>The user interrupted the previous turn on purpose.</turn_aborted>"),
		openai.UserMessage("What is her name?"))...))
	if err != nil {
		t.Fatal(err)
	}
	if content := got.Choices[0].Message.Content; !strings.Contains(content, "What is her name?") {
		t.Fatalf("answer %q", content)
	}
	rows := e.rows()
	if len(rows) != 2 || rows[1].Status != "success" || rows[1].SessionID != rows[0].SessionID {
		for _, r := range rows {
			t.Logf("call %s: session %s, chat %s, %s", r.RequestID, r.SessionID, r.ChatID, r.Status)
		}
		t.Fatalf("the resent first turn left its session")
	}
	if n := e.count(`SELECT COUNT(*) FROM sessions`); n != 1 {
		t.Fatalf("%d sessions for one conversation", n)
	}
}
