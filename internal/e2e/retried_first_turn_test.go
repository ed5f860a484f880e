package e2e

import (
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// A first turn that fails (Qwen's answer broke off) and the client's retry
// of the same messages, as coding agents retry: the conversation is one
// session, holding both calls, not an empty session beside the real one in
// the session list. The retry goes to a new chat (the failed turn's may
// hold half an answer, or still be generating it).
func TestARetriedFirstTurnContinuesTheSessionItOpened(t *testing.T) {
	e := start(t, nil)
	params := chatParams(openai.SystemMessage("Be brief."), openai.UserMessage("please tell me a long story"))
	e.sim.Inject(qwensim.Fault{CutAfter: 3})
	if _, err := streamUntilErrorWith(t, e, params); err == nil {
		t.Fatal("the cut first turn did not fail")
	}
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	if content := got.Choices[0].Message.Content; !strings.Contains(content, "please tell me a long story") {
		t.Fatalf("answer %q", content)
	}
	rows := e.rows()
	if len(rows) != 2 || rows[0].Status != "error" || rows[1].Status != "success" || rows[1].SessionID != rows[0].SessionID ||
		rows[1].ChatID == rows[0].ChatID {
		t.Fatalf("rows %+v", rows)
	}
	if n := e.count(`SELECT COUNT(*) FROM sessions`); n != 1 {
		t.Fatalf("%d sessions for one conversation", n)
	}
	if n := e.count(`SELECT message_count FROM sessions WHERE id = ?`, rows[0].SessionID); n != 1 {
		t.Fatalf("message_count %d", n)
	}
	// The conversation goes on in that session.
	next, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.SystemMessage("Be brief."),
		openai.UserMessage("please tell me a long story"), openai.AssistantMessage(got.Choices[0].Message.Content),
		openai.UserMessage("And then?")))
	if err != nil {
		t.Fatal(err)
	}
	if r := e.lastRow(); r.SessionID != rows[0].SessionID || r.ChatID != rows[1].ChatID || !strings.Contains(next.Choices[0].Message.Content, "And then?") {
		t.Fatalf("row %+v, answer %q", r, next.Choices[0].Message.Content)
	}
	// Another first message is another conversation.
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.SystemMessage("Be brief."), openai.UserMessage("hello"))); err != nil {
		t.Fatal(err)
	}
	if r := e.lastRow(); r.SessionID == rows[0].SessionID {
		t.Fatalf("another conversation took the session: %+v", r)
	}
}

// streamUntilErrorWith streams params and returns what arrived and the
// stream's error.
func streamUntilErrorWith(t *testing.T, e *env, params openai.ChatCompletionNewParams) (string, error) {
	t.Helper()
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), params)
	var got strings.Builder
	for stream.Next() {
		for _, c := range stream.Current().Choices {
			got.WriteString(c.Delta.Content)
		}
	}
	return got.String(), stream.Err()
}

// Two instances on one PostgreSQL database: the retry, reaching the other
// instance, continues the session the failed first turn opened there.
func TestARetriedFirstTurnOnAnotherInstanceContinuesTheSession(t *testing.T) {
	a := startOn(t, "postgres", nil)
	b := startOn(t, "postgres", func(c *config.Config) { c.DatabaseURL = a.dbURL })
	params := chatParams(openai.UserMessage("please tell me a long story"))
	a.sim.Inject(qwensim.Fault{CutAfter: 3})
	if _, err := streamUntilErrorWith(t, a, params); err == nil {
		t.Fatal("the cut first turn did not fail")
	}
	a.sync()
	if _, err := b.client.Chat.Completions.New(ctxT(t), params); err != nil {
		t.Fatal(err)
	}
	rows := b.rows()
	if len(rows) != 2 || rows[1].Status != "success" || rows[1].SessionID != rows[0].SessionID {
		t.Fatalf("rows %+v", rows)
	}
	if n := b.count(`SELECT COUNT(*) FROM sessions`); n != 1 {
		t.Fatalf("%d sessions for one conversation", n)
	}
}

// A first turn whose answer broke off, resent by the client with its next
// turn (the cut answer empty, as OpenCode resends it): the conversation
// goes on in the session the first turn opened, told what came before.
func TestAFirstTurnLeftAndResentWithTheNextContinuesItsSession(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{CutAfter: 3})
	if _, err := streamUntilErrorWith(t, e, chatParams(openai.UserMessage("My horse is called Pip."))); err == nil {
		t.Fatal("the cut first turn did not fail")
	}
	got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("My horse is called Pip."),
		openai.AssistantMessage(""), openai.UserMessage("What is her name?")))
	if err != nil {
		t.Fatal(err)
	}
	if content := got.Choices[0].Message.Content; !strings.Contains(content, "My horse is called Pip.") || !strings.Contains(content, "What is her name?") {
		t.Fatalf("answer %q", content)
	}
	rows := e.rows()
	if len(rows) != 2 || rows[1].Status != "success" || rows[1].SessionID != rows[0].SessionID {
		t.Fatalf("rows %+v", rows)
	}
	if n := e.count(`SELECT COUNT(*) FROM sessions`); n != 1 {
		t.Fatalf("%d sessions for one conversation", n)
	}
}
