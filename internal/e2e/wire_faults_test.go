package e2e

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"qwenproxy/internal/qwensim"
)

// TestFailureMessagesSayWhatToDo: a failure with a known remedy names it.
func TestFailureMessagesSayWhatToDo(t *testing.T) {
	for fault, advice := range map[qwensim.Fault]string{
		{RiskControl: true, InStream: true}:                                "copy a fresh Cookie header",
		{Envelope: qwensim.CodeBadRequest, Details: qwensim.InternalError}: "update QWEN_WEB_VERSION",
		{ThinkOnly: true, Times: 10}:                                       "phases that arrived: think",
	} {
		e := start(t, nil)
		e.sim.Inject(fault)
		_, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("hello")))
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || !strings.Contains(apiErr.Message, advice) {
			t.Errorf("%+v: %v, want advice %q", fault, err, advice)
		}
	}
}

func TestAnEmptyStreamedAnswerIsAskedAgainInTheSameStream(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{EmptyAnswer: true})
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), chatParams(openai.UserMessage("again please")))
	acc := openai.ChatCompletionAccumulator{}
	roles := 0
	for stream.Next() {
		ch := stream.Current()
		acc.AddChunk(ch)
		if len(ch.Choices) > 0 && ch.Choices[0].Delta.Role != "" {
			roles++
		}
	}
	if err := stream.Err(); err != nil || acc.Choices[0].Message.Content != `You said: "again please".` || roles != 1 {
		t.Fatalf("%v %q roles %d", err, acc.Choices[0].Message.Content, roles)
	}
}

func TestInterleavedCandidatesGiveOneAnswer(t *testing.T) {
	e := startWith(t, qwensim.Options{Interleave: true}, nil)
	c := &conversation{t: t, e: e}
	first := c.say("Capital of France?")
	if first != `You said: "Capital of France?".` {
		t.Fatalf("first answer %q", first)
	}
	// Streamed too, with the chosen candidate's usage; the turn threads
	// onto the chosen candidate.
	c.msgs = append(c.msgs, openai.UserMessage("And of Norway?"))
	params := chatParams(c.msgs...)
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	var resp *http.Response
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), params, option.WithResponseInto(&resp))
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	// The turn hangs under the kept candidate's answer.
	want := `You said: "And of Norway?". Earlier you said: "Capital of France?". Earlier answers of mine: 1.`
	if err := stream.Err(); err != nil || acc.Choices[0].Message.Content != want {
		t.Fatalf("%v %q", err, acc.Choices[0].Message.Content)
	}
	if n := int64(len(strings.Fields(want))); acc.Usage.CompletionTokens != n {
		t.Fatalf("usage %+v, want the chosen candidate's %d output tokens", acc.Usage, n)
	}
	r := e.lastRow()
	if strings.Contains(r.QwenResponse.String, "Another candidate") || !strings.Contains(r.QwenResponse.String, `"content":"You said: \"And of Norway?\".`) {
		t.Fatalf("recorded %s", r.QwenResponse.String)
	}
}

func TestAChatQwenNoLongerKnowsIsReplaced(t *testing.T) {
	e := start(t, nil)
	c := &conversation{t: t, e: e, msgs: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("You are terse.")}}
	c.say("My name is Ada.")
	c.say("I like tea.")
	e.sim.ForgetChats() // deleted in the web UI
	third := c.say("What do you know?")
	if !strings.Contains(third, "User: My name is Ada.") || !strings.Contains(third, "User: I like tea.") || !strings.Contains(third, `System prompt: "You are terse."`) {
		t.Fatalf("the history was not replayed into the new chat: %q", third)
	}
	fourth := c.say("Still there?")
	if !strings.HasPrefix(fourth, `You said: "Still there?". Earlier you said:`) || !strings.Contains(fourth, "What do you know?") {
		t.Fatalf("the conversation did not continue in the new chat: %q", fourth)
	}
	if e.sim.Chats() != 2 {
		t.Fatalf("%d chats, want the lost one and its replacement", e.sim.Chats())
	}
	rows := e.rows()
	if rows[2].Status != "success" || rows[2].ChatID == rows[1].ChatID || rows[3].ChatID != rows[2].ChatID || rows[2].SessionID != rows[1].SessionID {
		t.Fatalf("rows %+v", rows)
	}
	// Named sessions recover too.
	named := option.WithHeader("X-Session-Id", "named")
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("one")), named); err != nil {
		t.Fatal(err)
	}
	e.sim.ForgetChats()
	if got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("two")), named); err != nil || got.Choices[0].Message.Content != `You said: "two".` {
		t.Fatalf("%+v %v", got, err)
	}
}
