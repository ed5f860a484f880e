package e2e

import (
	"strings"
	"testing"
)

// reasoning.summary "none" (Codex's setting for no summary) was accepted
// and ignored: the output still carried the thinking as a reasoning item's
// summary, streamed and not. With it the model still thinks (its reasoning
// tokens are counted), and the output has no reasoning item; without it,
// or with "auto", the summary is there.
func TestAReasoningSummaryOfNoneLeavesTheReasoningOut(t *testing.T) {
	e := start(t, nil)
	for _, stream := range []string{"false", "true"} {
		for summary, want := range map[string]bool{`"none"`: false, `"auto"`: true, `null`: true} {
			resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-vl-plus","stream":`+stream+`,"reasoning":{"effort":"high","summary":`+summary+`},"input":"think about it"}`, nil)
			body := readBody(t, resp)
			if resp.StatusCode != 200 {
				t.Fatalf("stream %s, summary %s: %d %s", stream, summary, resp.StatusCode, body)
			}
			got := strings.Contains(body, `"type":"reasoning"`) || strings.Contains(body, "reasoning_summary")
			if got != want || !strings.Contains(body, `"reasoning_tokens":`) || strings.Contains(body, `"reasoning_tokens":0`) {
				t.Errorf("stream %s, summary %s: reasoning in the output %v, want %v:\n%s", stream, summary, got, want, body)
			}
		}
	}
}
