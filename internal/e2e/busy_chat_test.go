package e2e

import (
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"qwenproxy/internal/qwensim"
)

// A client that leaves an answer mid-stream (a user pressing stop) and
// asks again at once finds Qwen still generating the left answer: its chat
// refuses completions ("The chat is in progress!", qwen-wire.md §4.4) for
// longer than the retries wait. The conversation, which the client resends,
// goes on in a new chat into which it is replayed, instead of failing with
// chat_in_progress.
func TestAChatStillGeneratingALeftAnswerIsReplacedWhenTheHistoryIsResent(t *testing.T) {
	e := start(t, nil)
	defer e.sim.EndGenerations()
	first, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("My horse is called Pip.")))
	if err != nil {
		t.Fatal(err)
	}
	answer := first.Choices[0].Message.Content
	e.sim.Inject(qwensim.Fault{StallAfter: 2, KeepsGenerating: true})
	leaveStream(t, e, chatParams(openai.UserMessage("My horse is called Pip."), openai.AssistantMessage(answer),
		openai.UserMessage("Tell me a long story about her.")))
	got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(
		openai.UserMessage("My horse is called Pip."), openai.AssistantMessage(answer),
		openai.UserMessage("Tell me a long story about her."), openai.AssistantMessage(""),
		openai.UserMessage("Go on.")))
	if err != nil {
		t.Fatal(err)
	}
	if content := got.Choices[0].Message.Content; !strings.Contains(content, "My horse is called Pip.") || !strings.Contains(content, "Go on.") {
		t.Fatalf("answer %q", content)
	}
	rows := e.rows()
	if len(rows) != 3 || rows[2].ChatID == rows[0].ChatID || rows[2].SessionID != rows[0].SessionID || e.sim.Chats() != 2 {
		t.Fatalf("%d rows %+v over %d chats", len(rows), rows, e.sim.Chats())
	}
}

// Under X-Session-Id a client that left its first turn's answer (Qwen goes
// on generating it) and asks again sends only that first message, which is
// the whole conversation: it goes on in a new chat rather than failing
// chat_in_progress, as nothing of the busy chat is lost.
func TestANamedSessionsBusyFirstChatIsReplaced(t *testing.T) {
	e := start(t, nil)
	defer e.sim.EndGenerations()
	opt := option.WithHeader("X-Session-Id", "agent-stop")
	params := chatParams(openai.UserMessage("Tell me a long story about Pip."))
	e.sim.Inject(qwensim.Fault{StallAfter: 2, KeepsGenerating: true})
	leaveStream(t, e, params, opt)
	got, err := e.client.Chat.Completions.New(ctxT(t), params, opt)
	if err != nil {
		t.Fatal(err)
	}
	if content := got.Choices[0].Message.Content; !strings.Contains(content, "Tell me a long story about Pip.") {
		t.Fatalf("answer %q", content)
	}
	rows := e.rows()
	if len(rows) != 2 || rows[1].SessionID != "agent-stop" || rows[1].ChatID == rows[0].ChatID {
		t.Fatalf("rows %+v", rows)
	}
}
