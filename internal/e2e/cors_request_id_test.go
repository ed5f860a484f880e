package e2e

import (
	"strings"
	"testing"

	"qwenproxy/internal/config"
)

// In a browser the Anthropic SDK reads the call's id from the request-id
// header (a message's _request_id, an error's requestID), which the
// Messages routes send; a cross-origin page reads only the headers CORS
// exposes, and Request-Id was not among them: the SDK's ids were null.
func TestCORSExposesAnthropicsRequestID(t *testing.T) {
	e := start(t, func(c *config.Config) { c.CORSOrigins = []string{"https://app.example"} })
	resp := postJSON(t, e, "/v1/messages", `{"model":"claude-x","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`,
		map[string]string{"Origin": "https://app.example"})
	if resp.Header.Get("Request-Id") == "" {
		t.Fatalf("%d: no Request-Id", resp.StatusCode)
	}
	exposed := map[string]bool{}
	for h := range strings.SplitSeq(strings.ToLower(resp.Header.Get("Access-Control-Expose-Headers")), ",") {
		exposed[strings.TrimSpace(h)] = true
	}
	for _, h := range []string{"request-id", "x-request-id", "x-session-id", "retry-after", "x-should-retry"} {
		if !exposed[h] {
			t.Errorf("Access-Control-Expose-Headers %q does not expose %s", resp.Header.Get("Access-Control-Expose-Headers"), h)
		}
	}
}
