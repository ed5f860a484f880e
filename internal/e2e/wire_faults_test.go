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

// TestQwen2026FailuresAreNamed covers the failure forms of 2026
// (qwen-2026.md §3.6) and empty answers.
func TestQwen2026FailuresAreNamed(t *testing.T) {
	cases := []struct {
		name     string
		faults   []qwensim.Fault
		status   int
		code     string
		errType  string
		attempts int // upstream calls, chats/new included
		message  string
	}{
		{"risk control body", []qwensim.Fault{{RiskControl: true}}, 502, "upstream_firewall", "upstream_auth", 2, "browser"},
		{"risk control as a stream event", []qwensim.Fault{{RiskControl: true, InStream: true}}, 502, "upstream_firewall", "upstream_auth", 2, "FAIL_SYS_USER_VALIDATE"},
		{"Bad_Request internal error is not retried", []qwensim.Fault{{Envelope: qwensim.CodeBadRequest, Details: qwensim.InternalError, Times: 4}},
			502, "upstream_bad_request", "upstream_error", 2, "QWEN_WEB_VERSION"},
		{"gateway 504 page in HTTP 200, then an answer", []qwensim.Fault{{GatewayTimeout: true}}, 200, "", "", 3, ""},
		{"an empty answer, then a real one", []qwensim.Fault{{EmptyAnswer: true}}, 200, "", "", 3, ""},
		{"empty answers throughout", []qwensim.Fault{{EmptyAnswer: true, Times: 10}}, 502, "upstream_empty_answer", "upstream_error", 4, "no text"},
		{"thinking only, then an answer", []qwensim.Fault{{ThinkOnly: true}}, 200, "", "", 3, ""},
		{"thinking only throughout", []qwensim.Fault{{ThinkOnly: true, Times: 10}}, 502, "upstream_empty_answer", "upstream_error", 4, "phases that arrived: think"},
		{"streams of nothing but [DONE]", []qwensim.Fault{{DoneOnly: true, Times: 10}}, 502, "upstream_empty_answer", "upstream_error", 5, "without an answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, nil)
			e.sim.Inject(tc.faults...)
			got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("hello")))
			r := e.lastRow()
			if r.Responses != 1 || r.Attempts != tc.attempts || r.HTTPStatus != tc.status {
				t.Fatalf("stored row %+v; want one response, %d attempts, status %d", r, tc.attempts, tc.status)
			}
			if tc.status == 200 {
				if err != nil || got.Choices[0].Message.Content != `You said: "hello".` || r.Status != "success" {
					t.Fatalf("recovered call: %v, row %+v", err, r)
				}
				return
			}
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status || apiErr.Code != tc.code || !strings.Contains(apiErr.Message, tc.message) {
				t.Fatalf("err = %v, want %d %s mentioning %q", err, tc.status, tc.code, tc.message)
			}
			if r.Status != "error" || r.ErrorType != tc.errType || r.Error != apiErr.Message {
				t.Fatalf("stored row %+v", r)
			}
		})
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
	want := `You said: "And of Norway?". Earlier you said: "Capital of France?".`
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
