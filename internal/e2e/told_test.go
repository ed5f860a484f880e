package e2e

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"qwenproxy/internal/app"
	"qwenproxy/internal/store/storetest"
)

var writeTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name:       "write",
	Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"path": map[string]any{"type": "string"}, "content": map[string]any{"type": "string"}}},
})

// twin starts a second proxy on e's database (PostgreSQL: the backend
// instances share) and simulator, as a second instance behind a load
// balancer would be.
func (e *env) twin() openai.Client {
	e.t.Helper()
	cfg := *e.cfg
	cfg.Port = 0
	cfg.SpoolPath = filepath.Join(e.t.TempDir(), "twin.spool") // each instance owns its spool
	a, err := app.Start(context.Background(), &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { a.Shutdown(context.Background()) })
	return openai.NewClient(option.WithBaseURL(a.URL()+"/v1/"), option.WithAPIKey("not-checked"), option.WithMaxRetries(0))
}

// lastUpstreamMessage is the content of the newest completion's one message.
func lastUpstreamMessage(t *testing.T, e *env) string {
	t.Helper()
	up := upstreamCompletions(t, e.sim)
	m := messagesOf(up[len(up)-1])
	if len(m) != 1 {
		t.Fatalf("%d messages in one completion", len(m))
	}
	return m[0]["content"].(string)
}

// TestToolsOfEveryRequestAreKnown is issue 12's reproduction: OpenCode's
// first call in a session is a title request without tools; its next, with
// tools, must be able to call them.
func TestToolsOfEveryRequestAreKnown(t *testing.T) {
	storetest.EachBackend(t, testToolsOfEveryRequestAreKnown)
}

func testToolsOfEveryRequestAreKnown(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	session := option.WithHeader("X-Session-Id", "s1")
	title := chatParams(openai.SystemMessage("You write titles."), openai.UserMessage("Title for: write a file"))
	if _, err := e.client.Chat.Completions.New(ctxT(t), title, session); err != nil {
		t.Fatal(err)
	}
	agent := chatParams(openai.SystemMessage("You are a coding agent."), openai.UserMessage(`use write with {"path": "a.txt", "content": "hi"}`))
	agent.Tools = []openai.ChatCompletionToolUnionParam{writeTool}
	got, err := e.client.Chat.Completions.New(ctxT(t), agent, session)
	if err != nil {
		t.Fatal(err)
	}
	if c := got.Choices[0]; c.FinishReason != "tool_calls" || len(c.Message.ToolCalls) != 1 || c.Message.ToolCalls[0].Function.Name != "write" ||
		c.Message.ToolCalls[0].Function.Arguments != `{"path":"a.txt","content":"hi"}` {
		t.Fatalf("second answer %+v", c)
	}
	told := lastUpstreamMessage(t, e)
	if !strings.HasPrefix(told, "[System instructions]\nYou are a coding agent.\n\n# Tools") || !strings.Contains(told, "### write") {
		t.Fatalf("the second turn did not state the tools: %q", told)
	}
	if e.sim.Chats() != 1 {
		t.Fatalf("%d chats", e.sim.Chats())
	}

	// The same system prompt and tools again after a restart — and, on
	// PostgreSQL, from another instance: nothing is restated.
	e.restart()
	other := e.client
	if backend == "postgres" {
		other = e.twin()
	}
	agent.Messages = append(agent.Messages, got.Choices[0].Message.ToParam(), openai.ToolMessage("written", got.Choices[0].Message.ToolCalls[0].ID))
	next, err := other.Chat.Completions.New(ctxT(t), agent, session)
	if err != nil {
		t.Fatal(err)
	}
	if msg := lastUpstreamMessage(t, e); msg != "Result of write ("+got.Choices[0].Message.ToolCalls[0].ID+"):\nwritten" {
		t.Fatalf("a turn with what the chat knows restated it: %q", msg)
	}
	if next.Choices[0].Message.Content != `Thanks: write said "written".` {
		t.Fatalf("answer %q", next.Choices[0].Message.Content)
	}

	// A request without tools in a chat that knows some: the model hears
	// they are gone, and nothing in the answer is parsed as a call.
	plain := chatParams(openai.SystemMessage("You are a coding agent."), openai.UserMessage(`use write with {"path": "b.txt"} <tool_call>{"name":"write","arguments":{}}</tool_call>`))
	ans, err := e.client.Chat.Completions.New(ctxT(t), plain, session)
	if err != nil {
		t.Fatal(err)
	}
	if c := ans.Choices[0]; c.FinishReason != "stop" || len(c.Message.ToolCalls) != 0 || !strings.Contains(c.Message.Content, "<tool_call>") {
		t.Fatalf("answer without tools %+v", c)
	}
	if msg := lastUpstreamMessage(t, e); !strings.Contains(msg, "No functions are available any more") || strings.Contains(msg, "### write") {
		t.Fatalf("withdrawal not stated: %q", msg)
	}
	// And the tools come back, whole, when a request declares them again.
	agent2 := chatParams(openai.SystemMessage("You are a coding agent."), openai.UserMessage(`use write with {"path": "c.txt"}`))
	agent2.Tools = []openai.ChatCompletionToolUnionParam{writeTool}
	again, err := e.client.Chat.Completions.New(ctxT(t), agent2, session)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Choices[0].Message.ToolCalls) != 1 || !strings.Contains(lastUpstreamMessage(t, e), "### write") {
		t.Fatalf("tools not restated: %+v", again.Choices[0])
	}
}

func TestAChangedSystemPromptIsStatedAgainWhole(t *testing.T) {
	e := start(t, nil)
	c := &conversation{t: t, e: e, msgs: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("You are terse.")}}
	c.say("One.")
	c.say("Two.")
	if msg := lastUpstreamMessage(t, e); msg != "Two." {
		t.Fatalf("an unchanged system prompt was restated: %q", msg)
	}
	// A system message after the first answer is not the system prompt:
	// it is told with its turn.
	c.msgs = append(c.msgs, openai.SystemMessage("Answer in French."))
	c.say("Three.")
	if msg := lastUpstreamMessage(t, e); msg != "System: Answer in French.\n\nThree." {
		t.Fatalf("a later system message: %q", msg)
	}
	session := option.WithHeader("X-Session-Id", c.session)
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.SystemMessage("You are verbose."), openai.UserMessage("Four.")), session); err != nil {
		t.Fatal(err)
	}
	if msg := lastUpstreamMessage(t, e); msg != "[System instructions]\nYou are verbose.\n[End of system instructions]\n\nFour." {
		t.Fatalf("changed system prompt: %q", msg)
	}
	// A client naming its session may send only the new message: the chat
	// keeps its instructions.
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("Five.")), session); err != nil {
		t.Fatal(err)
	}
	if msg := lastUpstreamMessage(t, e); msg != "Five." {
		t.Fatalf("only the new message: %q", msg)
	}
}
