package server

import (
	"net/http"

	"qwenproxy/internal/httpjson"
	"qwenproxy/internal/openai"
)

// rateLimited is the 429 for Qwen's rate limit, to be retried after
// retryAfter seconds (0: unknown). A wait the client is told not to sit out
// (an account's daily quota: hours, see httpjson.NotToRetry) carries
// OpenAI's insufficient_quota, on which Codex reports the quota at once:
// under rate_limit_exceeded it slept the hours before each of its five
// retries, printing nothing. A short one keeps rate_limit_exceeded, under
// which clients read their delay.
func rateLimited(message string, retryAfter int) *openai.Error {
	e := &openai.Error{Status: http.StatusTooManyRequests, Type: openai.TypeRateLimit, Code: openai.CodeRateLimitExceeded,
		Message: message, RetryAfter: retryAfter}
	if httpjson.NotToRetry(e) {
		e.Code = openai.CodeInsufficientQuota
	}
	return e
}
