package e2e

import (
	"io"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// Qwen's daily quota used up is a 429 whose wait is hours: it carries
// OpenAI's insufficient_quota, on which Codex reports the quota at once,
// through both OpenAI APIs (Codex speaks the Responses API). Under
// rate_limit_exceeded Codex slept the Retry-After (three hours here) before
// each of its retries, printing "Reconnecting... 1/5" and nothing else. A
// throttle of seconds keeps rate_limit_exceeded, under which clients read
// their delay.
func TestAQuotaOfHoursIsInsufficientQuota(t *testing.T) {
	cases := []struct {
		name  string
		fault qwensim.Fault
		retry string
		code  string
	}{
		{"a quota of hours", qwensim.Fault{Envelope: qwensim.CodeRateLimited, Details: "You've reached the upper limit for today's usage.", Num: 3, ActualStatus: 429},
			"10800", "insufficient_quota"},
		{"a throttle of seconds", qwensim.Fault{Status: 429, RetryAfter: "30", Times: 10}, "30", "rate_limit_exceeded"},
	}
	for _, path := range []string{"/v1/chat/completions", "/v1/responses"} {
		for _, c := range cases {
			t.Run(path+"/"+c.name, func(t *testing.T) {
				e := start(t, nil)
				body := `{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"hi"}]}`
				if path == "/v1/responses" {
					body = `{"model":"qwen3-coder-plus","input":"hi"}`
				}
				e.sim.Inject(c.fault)
				resp := postJSON(t, e, path, body, nil)
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != c.retry || !strings.Contains(string(b), `"code":"`+c.code+`"`) {
					t.Fatalf("%d (Retry-After %q) %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
				}
			})
		}
	}
}
