package e2e

import (
	"encoding/json"
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
