package e2e

import (
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/qwensim"
)

// A client that does not compact when told its conversation is too long
// for the model resends the same conversation, with the failed message and
// a new one, and no X-Session-Id (Codex 0.171.0's `exec resume` after "ran
// out of room in the model's context window" compacts first: its summary
// call resends the conversation so, its compacted one is another history). Qwen's chat is outgrown, so
// the turn goes on in a new chat told the conversation; it is the same
// conversation, so in its session. It opened a session of its own: the
// outgrown session was no longer found by its history.
func TestAConversationResentAfterItOutgrewItsChatStaysInItsSession(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { conversationResentAfterItOutgrewItsChat(t, backend) })
	}
}

func conversationResentAfterItOutgrewItsChat(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	first, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("My horse is called Pip.")))
	if err != nil {
		t.Fatal(err)
	}
	history := []openai.ChatCompletionMessageParamUnion{
		openai.UserMessage("My horse is called Pip."), openai.AssistantMessage(first.Choices[0].Message.Content),
		openai.UserMessage("Read me the whole library."),
	}
	e.sim.Inject(qwensim.Fault{ContextTooLong: true})
	_, err = e.client.Chat.Completions.New(ctxT(t), chatParams(history...))
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.Code != "context_length_exceeded" {
		t.Fatalf("the long turn: %v", err)
	}

	got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(append(history, openai.UserMessage("What is my horse called?"))...))
	if err != nil {
		t.Fatalf("the resent conversation: %v", err)
	}
	if content := got.Choices[0].Message.Content; !strings.Contains(content, "What is my horse called?") || !strings.Contains(content, "Pip") {
		t.Fatalf("answer %q", content)
	}
	rows := e.rows()
	if len(rows) != 3 {
		t.Fatalf("%d rows %+v", len(rows), rows)
	}
	if rows[2].SessionID != rows[0].SessionID || rows[2].ChatID == rows[1].ChatID || rows[2].Status != "success" {
		for _, r := range rows {
			t.Logf("call %s: session %s, chat %s, %s", r.RequestID, r.SessionID, r.ChatID, r.Status)
		}
		t.Fatalf("the resent conversation left its session, or went to the outgrown chat")
	}
	if n := e.count(`SELECT COUNT(*) FROM sessions`); n != 1 {
		t.Fatalf("%d sessions for one conversation", n)
	}
}
