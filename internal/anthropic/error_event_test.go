package anthropic

import (
	"strings"
	"testing"

	"qwenproxy/internal/openai"
)

// A rate limit that breaks an answer off is an overloaded_error in the
// stream when a retry soon can succeed (Claude Code retries that one, and
// not a rate_limit_error, mid-answer); one the client is told not to retry
// (a quota's hours, a Final failure) stays a rate_limit_error, which Claude
// Code reports at once.
func TestErrorEventOfARateLimit(t *testing.T) {
	for _, c := range []struct {
		name string
		err  openai.Error
		want string
	}{
		{"slow down", openai.Error{Status: 429, Message: "please slow down", RetryAfter: 5}, "overloaded_error"},
		{"no wait given", openai.Error{Status: 429, Message: "please slow down"}, "overloaded_error"},
		{"a quota's hours", openai.Error{Status: 429, Message: "quota", RetryAfter: 3 * 3600}, "rate_limit_error"},
		{"final", openai.Error{Status: 429, Message: "no", Final: true}, "rate_limit_error"},
		{"bad request", openai.Error{Status: 400, Message: "too long"}, "invalid_request_error"},
		{"gateway", openai.Error{Status: 502, Message: "cut"}, "api_error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := string(ErrorEvent(&c.err)); !strings.Contains(got, `"type":"`+c.want+`"`) {
				t.Fatalf("ErrorEvent = %s, want type %s", got, c.want)
			}
		})
	}
	// Before a stream opens, a rate limit is still Anthropic's 429 type.
	if got := string(ErrorBody(&openai.Error{Status: 429, Message: "please slow down", RetryAfter: 5}, "")); !strings.Contains(got, `"type":"rate_limit_error"`) {
		t.Fatalf("ErrorBody = %s, want a rate_limit_error", got)
	}
}
