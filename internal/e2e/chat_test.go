package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"qwenproxy/internal/qwensim"
)

const model = "qwen3-max"

func chatParams(msgs ...openai.ChatCompletionMessageParamUnion) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{Model: model, Messages: msgs}
}

// upstreamCompletions returns the completion bodies the simulator received.
func upstreamCompletions(t *testing.T, sim *qwensim.Server) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, c := range sim.Calls() {
		if c.Endpoint != qwensim.EndpointCompletions {
			continue
		}
		var body map[string]any
		if err := json.Unmarshal(c.Body, &body); err != nil {
			t.Fatal(err)
		}
		out = append(out, body)
	}
	return out
}

func messagesOf(body map[string]any) []map[string]any {
	var out []map[string]any
	for _, m := range body["messages"].([]any) {
		out = append(out, m.(map[string]any))
	}
	return out
}

func TestNonStreamingWhenStreamIsOmitted(t *testing.T) {
	e := start(t, nil)
	var resp *http.Response
	got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("hello proxy")), option.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	if want := `You said: "hello proxy".`; got.Choices[0].Message.Content != want {
		t.Fatalf("content = %q, want %q", got.Choices[0].Message.Content, want)
	}
	if got.Choices[0].FinishReason != "stop" || got.Usage.CompletionTokens == 0 || got.Usage.PromptTokens == 0 ||
		got.Usage.TotalTokens != got.Usage.PromptTokens+got.Usage.CompletionTokens {
		t.Fatalf("finish %q usage %+v", got.Choices[0].FinishReason, got.Usage)
	}
	// Upstream is always asked to stream, so usage is known.
	if up := upstreamCompletions(t, e.sim); len(up) != 1 || up[0]["stream"] != true {
		t.Fatalf("upstream bodies = %v", up)
	}

	r := e.lastRow()
	if r.RequestID != resp.Header.Get("X-Request-Id") || r.SessionID != resp.Header.Get("X-Session-Id") || r.SessionID == "" {
		t.Fatalf("headers %q/%q do not name the stored row %q/%q", resp.Header.Get("X-Request-Id"), resp.Header.Get("X-Session-Id"), r.RequestID, r.SessionID)
	}
	if r.Status != "success" || r.HTTPStatus != 200 || r.FinishReason != "stop" || r.Stream || r.Path != "/v1/chat/completions" ||
		r.Responses != 1 || r.CompletionTokens != int(got.Usage.CompletionTokens) || r.PromptTokens != int(got.Usage.PromptTokens) ||
		!r.TTFT.Valid || r.Attempts != 1 || r.NewChatAttempts != 1 || r.ParentID == "" || r.ChatID == "" {
		t.Fatalf("stored row = %+v", r)
	}
	if !strings.Contains(r.OpenAIRequest.String, "hello proxy") || !strings.Contains(r.QwenRequest.String, `"parent_id":null`) ||
		!strings.Contains(r.OpenAIResponse.String, `"chat.completion"`) || !strings.Contains(r.QwenResponse.String, `"finished":true`) {
		t.Fatalf("stored bodies = %+v", r)
	}
}

func TestStreamingIsIncrementalWithUsage(t *testing.T) {
	e := start(t, nil)
	params := chatParams(openai.UserMessage("stream me something"))
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), params)
	var chunks []openai.ChatCompletionChunk
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		chunks = append(chunks, stream.Current())
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	want := `You said: "stream me something".`
	if len(chunks) < 5 {
		t.Fatalf("got %d chunks", len(chunks))
	}
	if first := chunks[0]; first.Choices[0].Delta.Role != "assistant" || first.Choices[0].Delta.Content != "" {
		t.Fatalf("first chunk is not the role chunk: %+v", first.Choices[0].Delta)
	}
	// One chunk per upstream delta: the answer arrives word by word.
	var content []string
	finishAt := -1
	for i, c := range chunks[1:] {
		if len(c.Choices) == 0 {
			continue
		}
		if c.Choices[0].Delta.Content != "" {
			content = append(content, c.Choices[0].Delta.Content)
		}
		if c.Choices[0].FinishReason != "" {
			finishAt = i + 1
		}
	}
	if strings.Join(content, "") != want || len(content) != len(strings.Fields(want)) {
		t.Fatalf("content pieces %q", content)
	}
	usage := chunks[len(chunks)-1]
	if finishAt != len(chunks)-2 || chunks[finishAt].Choices[0].FinishReason != "stop" || len(usage.Choices) != 0 || usage.Usage.TotalTokens == 0 {
		t.Fatalf("finish chunk at %d of %d, last chunk %+v", finishAt, len(chunks), usage)
	}
	if acc.Choices[0].Message.Content != want || acc.Usage.CompletionTokens != usage.Usage.CompletionTokens {
		t.Fatalf("accumulated %q %+v", acc.Choices[0].Message.Content, acc.Usage)
	}
	r := e.lastRow()
	if !r.Stream || r.Status != "success" || r.FinishReason != "stop" || r.TotalTokens != int(usage.Usage.TotalTokens) || !r.TTFT.Valid ||
		!strings.Contains(r.OpenAIResponse.String, want[:10]) {
		t.Fatalf("stored row = %+v", r)
	}
}

func TestStreamingWithoutIncludeUsageHasNoUsageChunk(t *testing.T) {
	e := start(t, nil)
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), chatParams(openai.UserMessage("no usage please")))
	var last openai.ChatCompletionChunk
	for stream.Next() {
		last = stream.Current()
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(last.Choices) != 1 || last.Choices[0].FinishReason != "stop" || last.Usage.TotalTokens != 0 {
		t.Fatalf("last chunk = %+v", last)
	}
}

func TestThinkingGoesToReasoningContent(t *testing.T) {
	for _, summary := range []bool{false, true} {
		t.Run(fmt.Sprintf("summary=%v", summary), func(t *testing.T) {
			e := startWith(t, qwensim.Options{SummaryThinking: summary}, nil)
			params := chatParams(openai.UserMessage("think about tea"))
			params.ReasoningEffort = shared.ReasoningEffortHigh

			got, err := e.client.Chat.Completions.New(ctxT(t), params)
			if err != nil {
				t.Fatal(err)
			}
			msg := got.Choices[0].Message
			reasoning := msg.JSON.ExtraFields["reasoning_content"].Raw()
			if msg.Content != `You said: "think about tea".` || !strings.Contains(reasoning, "Considering the request") {
				t.Fatalf("content %q reasoning %s", msg.Content, reasoning)
			}

			stream := e.client.Chat.Completions.NewStreaming(ctxT(t), chatParams(openai.UserMessage("think again")), option.WithJSONSet("reasoning_effort", "high"))
			var content, thought strings.Builder
			for stream.Next() {
				for _, c := range stream.Current().Choices {
					content.WriteString(c.Delta.Content)
					thought.WriteString(extraString(t, c.Delta.JSON.ExtraFields["reasoning_content"]))
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if content.String() != `You said: "think again".` || !strings.Contains(thought.String(), "Considering the request:") ||
				!strings.Contains(thought.String(), "think again") {
				t.Fatalf("content %q reasoning %q", content.String(), thought.String())
			}
			if up := upstreamCompletions(t, e.sim); !strings.Contains(fmt.Sprint(up[0]["messages"]), "thinking_enabled:true") {
				t.Fatalf("thinking not enabled upstream: %v", up[0]["messages"])
			}
		})
	}
}

func TestModelsAreListedAndCached(t *testing.T) {
	e := start(t, nil)
	page, err := e.client.Models.List(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		if m.Object != "model" || m.OwnedBy != "qwen" || m.Created == 0 {
			t.Fatalf("model %+v", m)
		}
		if _, variant := m.JSON.ExtraFields["metadata"]; variant && strings.Contains(m.JSON.ExtraFields["metadata"].Raw(), `"variant_of"`) {
			continue // the variants have a test of their own
		}
		ids = append(ids, m.ID)
	}
	if strings.Join(ids, ",") != "qwen3-max,qwen3-vl-plus,qwen3-coder-plus,qwen3-vl-32b,"+qwensim.ThinkingModel+","+qwensim.TextOnlyModel {
		t.Fatalf("ids = %v", ids)
	}
	m, err := e.client.Models.Get(ctxT(t), "qwen3-coder-plus")
	if err != nil || m.ID != "qwen3-coder-plus" {
		t.Fatalf("get = %+v, %v", m, err)
	}
	_, err = e.client.Models.Get(ctxT(t), "llama-3") // gpt-* is mapped: see TestRetrievingAMappedNameAgreesWithChat
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "model_not_found" {
		t.Fatalf("unknown model: %v", err)
	}
	modelCalls := 0
	for _, c := range e.sim.Calls() {
		if c.Endpoint == qwensim.EndpointModels {
			modelCalls++
		}
	}
	if modelCalls != 1 {
		t.Fatalf("upstream model list fetched %d times, want 1 (cached)", modelCalls)
	}
}

func TestLegacyCompletions(t *testing.T) {
	e := start(t, nil)
	got, err := e.client.Completions.New(ctxT(t), openai.CompletionNewParams{Model: model,
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon a time")}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Object != "text_completion" || got.Choices[0].Text != `You said: "Once upon a time".` || got.Choices[0].FinishReason != "stop" || got.Usage.TotalTokens == 0 {
		t.Fatalf("completion = %+v", got)
	}
	stream := e.client.Completions.NewStreaming(ctxT(t), openai.CompletionNewParams{Model: model,
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Stream a story")}})
	var text strings.Builder
	var finish string
	for stream.Next() {
		c := stream.Current()
		text.WriteString(c.Choices[0].Text)
		if c.Choices[0].FinishReason != "" {
			finish = string(c.Choices[0].FinishReason)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if text.String() != `You said: "Stream a story".` || finish != "stop" {
		t.Fatalf("streamed %q finish %q", text.String(), finish)
	}
	rows := e.rows()
	if len(rows) != 2 || rows[0].Path != "/v1/completions" || rows[1].Status != "success" || !rows[1].Stream {
		t.Fatalf("rows = %+v", rows)
	}
}

// converse runs a conversation the way SDK clients do: each turn resends the
// whole history. It returns the answers.
type conversation struct {
	t       *testing.T
	e       *env
	msgs    []openai.ChatCompletionMessageParamUnion
	session string
	// mayMove allows the session to change between turns: conversations
	// with identical histories cannot be told apart by content alone.
	mayMove bool
}

func (c *conversation) say(text string) string {
	c.t.Helper()
	c.msgs = append(c.msgs, openai.UserMessage(text))
	var resp *http.Response
	got, err := c.e.client.Chat.Completions.New(ctxT(c.t), chatParams(c.msgs...), option.WithResponseInto(&resp))
	if err != nil {
		c.t.Fatalf("turn %q: %v", text, err)
	}
	answer := got.Choices[0].Message.Content
	c.msgs = append(c.msgs, openai.AssistantMessage(answer))
	if c.session == "" || c.mayMove {
		c.session = resp.Header.Get("X-Session-Id")
	} else if s := resp.Header.Get("X-Session-Id"); s != c.session {
		c.t.Fatalf("turn %q moved from session %s to %s", text, c.session, s)
	}
	return answer
}

func TestThreeTurnConversationIsThreaded(t *testing.T) {
	e := start(t, nil)
	c := &conversation{t: t, e: e, msgs: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("You are terse.")}}
	first := c.say("My name is Ada.")
	if !strings.Contains(first, `System prompt: "You are terse."`) {
		t.Fatalf("first turn did not carry the system prompt: %q", first)
	}
	c.say("I like tea.")
	third := c.say("What do you know?")
	// Each turn hangs under the answer before it: the model's two answers
	// are on its thread, not only the user's messages.
	if want := `You said: "What do you know?". Earlier you said: "My name is Ada."; "I like tea.". Earlier answers of mine: 2.`; third != want {
		t.Fatalf("third answer %q, want %q", third, want)
	}
	up := upstreamCompletions(t, e.sim)
	if len(up) != 3 || e.sim.Chats() != 1 {
		t.Fatalf("%d completions in %d chats, want 3 in 1", len(up), e.sim.Chats())
	}
	// One message per request: the first folds the system prompt in; after
	// it only the new message goes upstream.
	if m := messagesOf(up[0]); len(m) != 1 || m[0]["content"] != "[System instructions]\nYou are terse.\n[End of system instructions]\n\nMy name is Ada." || up[0]["parent_id"] != nil {
		t.Fatalf("first upstream turn = %v", up[0])
	}
	rows := e.rows()
	for i, body := range up[1:] {
		// Under the answer before (its Qwen message_id, as recorded), not
		// under the user message that asked for it (the record's parent_id).
		var answer struct {
			Data struct {
				MessageID string `json:"message_id"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(rows[i].QwenResponse.String), &answer); err != nil || answer.Data.MessageID == "" || answer.Data.MessageID == rows[i].ParentID {
			t.Fatalf("turn %d recorded %q (%v)", i+1, rows[i].QwenResponse.String, err)
		}
		parent := answer.Data.MessageID
		m := messagesOf(body)
		if len(m) != 1 || m[0]["role"] != "user" || body["parent_id"] != parent || m[0]["parent_id"] != parent {
			t.Fatalf("upstream turn %d = %v, want only the new message under parent %s", i+2, body, parent)
		}
	}
	var count int
	var firstUser string
	if err := e.db().QueryRow(`SELECT message_count, first_user_message FROM sessions WHERE id = ?`, c.session).Scan(&count, &firstUser); err != nil {
		t.Fatal(err)
	}
	if count != 3 || firstUser != "My name is Ada." {
		t.Fatalf("session message_count %d first_user_message %q", count, firstUser)
	}
}

func TestConversationContinuesAfterRestart(t *testing.T) {
	e := start(t, nil)
	c := &conversation{t: t, e: e}
	c.say("Remember the number 42.")
	c.say("And the colour blue.")
	e.restart()
	got := c.say("What did I ask you to remember?")
	if !strings.Contains(got, `"Remember the number 42."; "And the colour blue."`) {
		t.Fatalf("context lost across restart: %q", got)
	}
	if e.sim.Chats() != 1 {
		t.Fatalf("%d chats, want 1", e.sim.Chats())
	}
	if n := e.count(`SELECT COUNT(*) FROM requests WHERE session_id = ?`, c.session); n != 3 {
		t.Fatalf("session has %d requests after restart, want 3 (nothing deleted at start)", n)
	}
}

func TestInterleavedConversationsStayIsolated(t *testing.T) {
	e := start(t, nil)
	a := &conversation{t: t, e: e}
	b := &conversation{t: t, e: e}
	a.say("Hello, I am Alice.")
	b.say("Hello, I am Bob.")
	gotA := a.say("Who am I?")
	gotB := b.say("Who am I?")
	if !strings.Contains(gotA, "Alice") || strings.Contains(gotA, "Bob") || !strings.Contains(gotB, "Bob") || strings.Contains(gotB, "Alice") {
		t.Fatalf("answers mixed up: A %q, B %q", gotA, gotB)
	}
	if a.session == b.session || e.sim.Chats() != 2 {
		t.Fatalf("sessions %s/%s over %d chats", a.session, b.session, e.sim.Chats())
	}
}

func TestIdenticalOpeningsNeverShareAChat(t *testing.T) {
	e := start(t, nil)
	// Identical openings hash alike, so either conversation may continue in
	// either chat; but never both in one, and never with the other's turns.
	a := &conversation{t: t, e: e, mayMove: true}
	b := &conversation{t: t, e: e, mayMove: true}
	a.say("Hello.")
	b.say("Hello.")
	a.say("I am Alice.")
	b.say("I am Bob.")
	gotA := a.say("Who am I?")
	gotB := b.say("Who am I?")
	if !strings.Contains(gotA, "I am Alice.") || strings.Contains(gotA, "Bob") {
		t.Fatalf("A's answer %q", gotA)
	}
	if !strings.Contains(gotB, "I am Bob.") || strings.Contains(gotB, "Alice") {
		t.Fatalf("B's answer %q", gotB)
	}
	if a.session == b.session || e.sim.Chats() != 2 {
		t.Fatalf("sessions %s/%s over %d chats", a.session, b.session, e.sim.Chats())
	}
}

func TestExplicitSessionHeader(t *testing.T) {
	e := start(t, nil)
	opt := option.WithHeader("X-Session-Id", "agent-7")
	var resp *http.Response
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("First fact: the sky.")), opt, option.WithResponseInto(&resp)); err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("X-Session-Id") != "agent-7" {
		t.Fatalf("X-Session-Id = %q", resp.Header.Get("X-Session-Id"))
	}
	// The client sends no history: the named session carries it.
	got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("Second fact?")), opt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.Choices[0].Message.Content, `Earlier you said: "First fact: the sky."`) {
		t.Fatalf("answer %q", got.Choices[0].Message.Content)
	}
	// Dots alone are path segments: /v1/sessions/.. could not reach the
	// session they named (it was accepted, its page a redirect elsewhere).
	for _, bad := range []string{"bad id!", ".", "..", "..."} {
		_, err = e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("x")), option.WithHeader("X-Session-Id", bad))
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != "X-Session-Id" {
			t.Errorf("session id %q: %v", bad, err)
		}
	}
}

// An agent that names its session (OpenCode, X-Session-Id) and is
// interrupted mid-answer resends the cut turn with the next one: its user
// message and an empty assistant message. The chat never got an answer to
// that turn threaded in, so the cut turn goes to Qwen as earlier
// conversation before the new one, in the same chat.
func TestNamedSessionResendsATurnItsChatNeverGot(t *testing.T) {
	e := start(t, nil)
	opt := option.WithHeader("X-Session-Id", "agent-cut")
	first, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("My dog is called Rex.")), opt)
	if err != nil {
		t.Fatal(err)
	}
	answer := first.Choices[0].Message.Content
	interruptStream(t, e, chatParams(openai.UserMessage("My dog is called Rex."), openai.AssistantMessage(answer),
		openai.UserMessage("Tell me a long story about him.")), opt)
	got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(
		openai.UserMessage("My dog is called Rex."), openai.AssistantMessage(answer),
		openai.UserMessage("Tell me a long story about him."), openai.AssistantMessage(""),
		openai.UserMessage("Go on.")), opt)
	if err != nil {
		t.Fatal(err)
	}
	up := upstreamCompletions(t, e.sim)
	last := messagesOf(up[len(up)-1])[0]
	want := "[Earlier conversation, for context]\n\nUser: Tell me a long story about him.\n\n[End of earlier conversation]\n\nGo on."
	if last["content"] != want {
		t.Fatalf("upstream message %q, want %q", last["content"], want)
	}
	if !strings.Contains(got.Choices[0].Message.Content, `Earlier you said: "My dog is called Rex."`) {
		t.Fatalf("answer %q", got.Choices[0].Message.Content)
	}
	rows := e.rows()
	if len(rows) != 3 || rows[1].ErrorType != "client_disconnect" || rows[2].ChatID != rows[0].ChatID || e.sim.Chats() != 1 {
		t.Fatalf("%d rows %+v over %d chats", len(rows), rows, e.sim.Chats())
	}
}

// Claude Code, interrupted mid-answer and resumed (-c), resends the cut turn
// with the next one: its user message and a placeholder answer ("No
// response requested."). The history still holds the chat's last answer:
// the conversation goes on in its chat, the cut turn told as earlier
// conversation, instead of a new chat with everything replayed.
func TestResentCutTurnContinuesItsChat(t *testing.T) {
	e := start(t, nil)
	first, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("My cat is called Tom.")))
	if err != nil {
		t.Fatal(err)
	}
	answer := first.Choices[0].Message.Content
	interruptStream(t, e, chatParams(openai.UserMessage("My cat is called Tom."), openai.AssistantMessage(answer), openai.UserMessage("Tell me a story.")))
	got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(
		openai.UserMessage("My cat is called Tom."), openai.AssistantMessage(answer),
		openai.UserMessage("Tell me a story."), openai.AssistantMessage("No response requested."),
		openai.UserMessage("Go on.")))
	if err != nil {
		t.Fatal(err)
	}
	up := upstreamCompletions(t, e.sim)
	want := "[Earlier conversation, for context]\n\nUser: Tell me a story.\n\nAssistant: No response requested.\n\n[End of earlier conversation]\n\nGo on."
	if last := messagesOf(up[len(up)-1])[0]; last["content"] != want {
		t.Fatalf("upstream message %q, want %q", last["content"], want)
	}
	if !strings.Contains(got.Choices[0].Message.Content, `Earlier you said: "My cat is called Tom."`) {
		t.Fatalf("answer %q", got.Choices[0].Message.Content)
	}
	rows := e.rows()
	if len(rows) != 3 || rows[2].SessionID != rows[0].SessionID || rows[2].ChatID != rows[0].ChatID || e.sim.Chats() != 1 {
		t.Fatalf("%d rows %+v over %d chats", len(rows), rows, e.sim.Chats())
	}
}

func TestUnknownHistoryIsReplayedIntoANewChat(t *testing.T) {
	e := start(t, nil)
	got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(
		openai.SystemMessage("Be kind."),
		openai.UserMessage("My dog is called Rex."),
		openai.AssistantMessage("Nice name."),
		openai.UserMessage("What is my dog called?"),
	))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.Choices[0].Message.Content, "User: My dog is called Rex.") {
		t.Fatalf("history not replayed: %q", got.Choices[0].Message.Content)
	}
	up := upstreamCompletions(t, e.sim)
	m := messagesOf(up[0])
	if len(m) != 1 || !strings.HasPrefix(m[0]["content"].(string), "[System instructions]\nBe kind.\n[End of system instructions]\n\n[Earlier conversation, for context]") ||
		!strings.Contains(m[0]["content"].(string), "Assistant: Nice name.") || !strings.HasSuffix(m[0]["content"].(string), "What is my dog called?") {
		t.Fatalf("upstream messages = %v", m)
	}
}

func TestConcurrentTurnsOfOneSessionAreSerialised(t *testing.T) {
	e := startWith(t, qwensim.Options{EventDelay: 0}, nil)
	const n = 6
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage(fmt.Sprintf("message %d", i))),
				option.WithHeader("X-Session-Id", "shared"))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Each turn hung under the previous one: the last answer remembers all
	// the others, and no attempt met a busy chat.
	rows := e.rows()
	parents := map[string]bool{}
	attempts, newChats := 0, 0
	for _, r := range rows {
		if r.Status != "success" {
			t.Fatalf("row %+v", r)
		}
		parents[r.ParentID] = true
		attempts += r.Attempts
		newChats += r.NewChatAttempts
	}
	if attempts != n || newChats != 1 { // n completions and one chats/new
		t.Fatalf("%d upstream attempts for %d turns: some met a busy chat", attempts, n)
	}
	up := upstreamCompletions(t, e.sim)
	seen := map[any]bool{}
	for _, body := range up {
		if seen[body["parent_id"]] {
			t.Fatalf("two turns hung under the same parent %v", body["parent_id"])
		}
		seen[body["parent_id"]] = true
	}
	if len(parents) != n || e.sim.Chats() != 1 {
		t.Fatalf("%d distinct parents, %d chats", len(parents), e.sim.Chats())
	}
}

// TestQwen2025WireFormatStillWorks runs against the 2025 recordings' rules
// and shapes (the default is 2026): events without response_id, more than
// one message allowed, no Version checked.
func TestQwen2025WireFormatStillWorks(t *testing.T) {
	e := startWith(t, qwensim.Options{Format: qwensim.Format2025}, nil)
	c := &conversation{t: t, e: e}
	c.say("First in 2025.")
	if got := c.say("Second?"); !strings.Contains(got, `Earlier you said: "First in 2025."`) {
		t.Fatalf("answer %q", got)
	}
	params := chatParams(openai.UserMessage("stream 2025"))
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), params)
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil || acc.Choices[0].Message.Content != `You said: "stream 2025".` || acc.Usage.TotalTokens == 0 {
		t.Fatalf("%v %q %+v", err, acc.Choices[0].Message.Content, acc.Usage)
	}
	// The recorded 2025 model list, without the 2026 additions (4 models and
	// their 12 variants: each has -image-edit).
	page, err := e.client.Models.List(ctxT(t))
	if err != nil || len(page.Data) != 16 {
		t.Fatalf("models %v %v", len(page.Data), err)
	}
}

// interruptStream makes a streamed call that Qwen stalls in after its first
// events and that the client leaves at its first chunk, as an agent the user
// interrupts while Qwen answers.
func interruptStream(t *testing.T, e *env, params openai.ChatCompletionNewParams, opts ...option.RequestOption) {
	t.Helper()
	e.sim.Inject(qwensim.Fault{StallAfter: 2})
	leaveStream(t, e, params, opts...)
}

// leaveStream makes a streamed call that the client leaves at its first
// chunk (the fault that holds the answer back is the caller's to inject).
func leaveStream(t *testing.T, e *env, params openai.ChatCompletionNewParams, opts ...option.RequestOption) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	stream := e.client.Chat.Completions.NewStreaming(ctx, params, opts...)
	for stream.Next() {
		cancel()
	}
}

// A Chat Completions conversation may end with a system or developer
// message, as OpenAI's accepts (agents append a reminder after the user's
// words or after an answer): one before the first answer joins the system
// prompt, one after it is told with its turn. It was a 400 ("the last
// message must be from the user, the assistant or a tool").
func TestChatEndingWithASystemMessage(t *testing.T) {
	e := start(t, nil)
	first, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.SystemMessage("Be brief."),
		openai.UserMessage("My dog is called Rex."), openai.SystemMessage("Answer in English.")))
	if err != nil {
		t.Fatal(err)
	}
	answer := first.Choices[0].Message.Content
	up := upstreamCompletions(t, e.sim)
	if sent := messagesOf(up[0])[0]["content"].(string); !strings.Contains(sent, "Be brief.\n\nAnswer in English.") || !strings.HasSuffix(sent, "My dog is called Rex.") {
		t.Fatalf("first upstream message %q", sent)
	}
	got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.SystemMessage("Be brief."),
		openai.UserMessage("My dog is called Rex."), openai.SystemMessage("Answer in English."), openai.AssistantMessage(answer),
		openai.DeveloperMessage("Note: the user is back.")))
	if err != nil {
		t.Fatal(err)
	}
	up = upstreamCompletions(t, e.sim)
	if sent := messagesOf(up[len(up)-1])[0]["content"].(string); sent != "System: Note: the user is back." {
		t.Fatalf("second upstream message %q", sent)
	}
	if got.Choices[0].Message.Content == "" {
		t.Fatal("no answer")
	}
	if rows := e.rows(); len(rows) != 2 || rows[1].ChatID != rows[0].ChatID || e.sim.Chats() != 1 {
		t.Fatalf("%d rows %+v over %d chats", len(rows), rows, e.sim.Chats())
	}
}
