package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/respjson"
	"github.com/openai/openai-go/v3/shared"

	"qwenproxy/internal/qwensim"
)

// Thinking that arrives as phase-less reasoning_content deltas
// (qwen-2026.md §3.2) reaches the client as reasoning, streamed and not,
// and is not taken for the answer. (That the simulator then sends no think
// phase is qwensim's TestFaultsPlayTheStreamVariants.)
func TestThinkingAsReasoningContentReachesTheClient(t *testing.T) {
	e := start(t, nil)
	params := chatParams(openai.UserMessage("think about it"))
	params.ReasoningEffort = shared.ReasoningEffortHigh
	const want = "Considering the request: think about it"

	e.sim.Inject(qwensim.Fault{ReasoningContent: true})
	got, err := e.client.Chat.Completions.New(ctxT(t), params)
	if err != nil {
		t.Fatal(err)
	}
	msg := got.Choices[0].Message
	if r := extraString(t, msg.JSON.ExtraFields["reasoning_content"]); r != want || msg.Content != `You said: "think about it".` {
		t.Fatalf("reasoning %q answer %q", r, msg.Content)
	}

	e.sim.Inject(qwensim.Fault{ReasoningContent: true})
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), params)
	var reasoning, content string
	for stream.Next() {
		for _, c := range stream.Current().Choices {
			reasoning += extraString(t, c.Delta.JSON.ExtraFields["reasoning_content"])
			content += c.Delta.Content
		}
	}
	if err := stream.Err(); err != nil || reasoning != want || content != `You said: "think about it".` {
		t.Fatalf("streamed: %v reasoning %q answer %q", err, reasoning, content)
	}
}

// extraString is a field the SDK does not know, as a string ("" when absent).
func extraString(t *testing.T, f respjson.Field) string {
	t.Helper()
	if f.Raw() == "" {
		return ""
	}
	var s string
	if err := json.Unmarshal([]byte(f.Raw()), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// Two candidate answers in one stream, injected for one call (as through
// POST /__sim/faults behind serve --mock-upstream), give one answer. (That
// the simulator then sends two is qwensim's TestFaultsPlayTheStreamVariants.)
func TestInterleavedCandidatesForOneCall(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{Interleave: true})
	got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("Capital of France?")))
	if err != nil || got.Choices[0].Message.Content != `You said: "Capital of France?".` {
		t.Fatalf("%v %+v", err, got)
	}
}

// Interleaved candidates of a turn that thinks and searches, or draws, give
// the client one candidate's thinking, sources and image, streamed and not:
// the other's (its own pages, its own picture) never mix in. (That the
// simulator's candidates are whole answers of the turn's kind is qwensim's
// TestInterleavedCandidatesAreWholeAnswers; before, they were bare text.)
func TestInterleavedCandidatesKeepOneCandidatesSearchAndImage(t *testing.T) {
	e := start(t, nil)
	ask := func(model string, stream bool) (content, reasoning string, urls []string) {
		t.Helper()
		e.sim.Inject(qwensim.Fault{Interleave: true})
		params := chatParams(openai.UserMessage("Oslo"))
		params.Model = model
		if !stream {
			got, err := e.client.Chat.Completions.New(ctxT(t), params)
			if err != nil {
				t.Fatal(err)
			}
			msg := got.Choices[0].Message
			for _, a := range msg.Annotations {
				urls = append(urls, a.URLCitation.URL)
			}
			return msg.Content, extraString(t, msg.JSON.ExtraFields["reasoning_content"]), urls
		}
		s := e.client.Chat.Completions.NewStreaming(ctxT(t), params)
		for s.Next() {
			for _, c := range s.Current().Choices {
				content += c.Delta.Content
				reasoning += extraString(t, c.Delta.JSON.ExtraFields["reasoning_content"])
				if raw := c.Delta.JSON.ExtraFields["annotations"].Raw(); raw != "" {
					var list []openai.ChatCompletionMessageAnnotation
					if err := json.Unmarshal([]byte(raw), &list); err != nil {
						t.Fatal(err)
					}
					for _, a := range list {
						urls = append(urls, a.URLCitation.URL)
					}
				}
			}
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		return content, reasoning, urls
	}
	for _, stream := range []bool{false, true} {
		content, reasoning, urls := ask("qwq-32b-thinking-search", stream)
		if reasoning != "Considering the request: Oslo" || !strings.HasPrefix(content, `You said: "Oslo".`+"\n\nSources:\n[1] [First result for Oslo]") ||
			len(urls) != 2 || strings.Contains(content, "another") || strings.Contains(strings.Join(urls, " "), "another") {
			t.Errorf("search, stream %v: reasoning %q content %q sources %v", stream, reasoning, content, urls)
		}
		content, _, _ = ask("qwen3-max-image", stream)
		if strings.Count(content, "![image](") != 1 || strings.Contains(content, "Another candidate") {
			t.Errorf("image, stream %v: %q", stream, content)
		}
	}
}
