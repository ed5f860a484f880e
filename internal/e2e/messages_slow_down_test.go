package e2e

import (
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// Qwen's "please slow down" after the answer began ends a Messages stream
// with an overloaded_error, which Claude Code retries (as it retries an
// api_error or a timeout_error mid-answer), its retry then waiting out the
// account's rest as any 429: a rate_limit_error mid-answer, which Anthropic
// never sends there, Claude Code reported at once ("API Error: Qwen rate
// limit reached: please slow down") and the run ended. Before the stream
// opens it stays a 429 rate_limit_error.
func TestSlowDownMidAnswerIsAnOverloadedErrorInAMessagesStream(t *testing.T) {
	e := start(t, func(c *config.Config) { c.QwenTimeout, c.MaxRetries = time.Minute, 0 })
	e.sim.Inject(qwensim.Fault{ErrorAfter: 2})
	api := cutAPI{"messages", "/v1/messages", `{"model":"claude-x","max_tokens":256,"stream":true,"messages":[{"role":"user","content":"one two three four five six"}]}`,
		"event: error", nil}
	body := cutStream(t, e, api, false)
	events := strings.Split(strings.TrimSpace(body), "\n\n")
	last := events[len(events)-1]
	if !strings.HasPrefix(last, "event: error") || !strings.Contains(last, `"type":"overloaded_error"`) || !strings.Contains(last, "please slow down") {
		t.Fatalf("the stream ends with %q, want an overloaded_error saying Qwen asked to slow down", last)
	}
	if r := e.lastRow(); r.ErrorType != "rate_limited" {
		t.Fatalf("recorded as %q, want rate_limited", r.ErrorType)
	}
}
