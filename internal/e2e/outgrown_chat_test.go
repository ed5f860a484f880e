package e2e

import (
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"qwenproxy/internal/qwensim"
)

// An agent told its conversation is too long (400 context_length_exceeded)
// compacts it and goes on: its next calls resend a shorter history (a
// summary in place of the turns), under its X-Session-Id as OpenCode does,
// or without one. Qwen keeps the conversation in its chat, so that chat
// stays too long whatever the client resends: the session must go on in a
// new chat told the compacted conversation, not in the outgrown one, where
// OpenCode's summary call and every turn after it failed again.
func TestACompactedConversationLeavesItsOutgrownChat(t *testing.T) {
	for _, c := range []struct {
		backend string
		named   bool
	}{{"sqlite", true}, {"sqlite", false}, {"postgres", true}} {
		name := c.backend + "/hash"
		var opts []option.RequestOption
		named := c.named
		if named {
			name = c.backend + "/X-Session-Id"
			opts = append(opts, option.WithHeader("X-Session-Id", "compacting-agent"))
		}
		t.Run(name, func(t *testing.T) {
			e := startOn(t, c.backend, nil)
			first, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("My horse is called Pip.")), opts...)
			if err != nil {
				t.Fatal(err)
			}
			history := []openai.ChatCompletionMessageParamUnion{
				openai.UserMessage("My horse is called Pip."), openai.AssistantMessage(first.Choices[0].Message.Content),
			}
			e.sim.Inject(qwensim.Fault{ContextTooLong: true})
			_, err = e.client.Chat.Completions.New(ctxT(t), chatParams(append(history, openai.UserMessage("Read me the whole library."))...), opts...)
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) || apiErr.Code != "context_length_exceeded" {
				t.Fatalf("the long turn: %v", err)
			}
			// The agent's summary call: the history and the failed turn, with
			// a request to summarise them (OpenCode's, in the same session).
			summarise := chatParams(append(history, openai.UserMessage("Read me the whole library."),
				openai.UserMessage("Summarize the conversation so far."))...)
			summary, err := e.client.Chat.Completions.New(ctxT(t), summarise, opts...)
			if err != nil {
				t.Fatalf("the summary call went to the outgrown chat: %v", err)
			}
			// Then the compacted conversation: the summary in place of the turns.
			compacted := chatParams(openai.UserMessage("Summary: the user's horse is called Pip."),
				openai.AssistantMessage(summary.Choices[0].Message.Content), openai.UserMessage("What is my horse called?"))
			got, err := e.client.Chat.Completions.New(ctxT(t), compacted, opts...)
			if err != nil {
				t.Fatalf("the compacted conversation went to the outgrown chat: %v", err)
			}
			if content := got.Choices[0].Message.Content; !strings.Contains(content, "What is my horse called?") {
				t.Fatalf("answer %q", content)
			}
			rows := e.rows()
			if len(rows) != 4 {
				t.Fatalf("%d rows %+v", len(rows), rows)
			}
			outgrown := rows[1].ChatID
			for _, r := range rows[2:] {
				if r.ChatID == outgrown || r.Status != "success" {
					t.Fatalf("a call after the compaction, in chat %s (the outgrown chat is %s): %+v", r.ChatID, outgrown, r)
				}
			}
			if named && (rows[2].SessionID != "compacting-agent" || rows[3].SessionID != "compacting-agent") {
				t.Fatalf("the named session was left: %+v", rows)
			}
		})
	}
}
