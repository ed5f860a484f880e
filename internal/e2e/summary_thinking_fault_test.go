package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
)

// The 2026 summary style of thinking (paragraphs resent on every event, the
// last growing in place) can be asked of the simulator behind serve
// --mock-upstream, whose options are the defaults, with the
// summary_thinking fault: until 2026-12-07 only the Go option
// SummaryThinking gave it, so a user of the built-in simulator could not
// see the proxy read it. The client gets the whole reasoning, streamed.
func TestTheSummaryThinkingFaultGivesTheSummaryStyle(t *testing.T) {
	e := start(t, nil)
	resp, err := http.Post(e.sim.URL+"/__sim/faults", "application/json", strings.NewReader(`[{"summary_thinking":true}]`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("faults: %d", resp.StatusCode)
	}
	params := chatParams(openai.UserMessage("think about it"))
	params.ReasoningEffort = shared.ReasoningEffortHigh
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), params)
	var reasoning string
	for stream.Next() {
		for _, c := range stream.Current().Choices {
			reasoning += extraString(t, c.Delta.JSON.ExtraFields["reasoning_content"])
		}
	}
	// Its paragraphs, joined as the proxy joins a summary's; think deltas
	// would have given "Considering the request: think about it".
	if err := stream.Err(); err != nil || reasoning != "Considering the request:\n\nthink about it" {
		t.Fatalf("%v: reasoning %q", err, reasoning)
	}
}
