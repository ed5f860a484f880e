package server

import (
	"fmt"
	"net/http"

	qp "qwenproxy"
	"qwenproxy/internal/auth"
	"qwenproxy/internal/openai"
)

// keyLimitRetry is the Retry-After of a call over its key's limit, in
// seconds: when one of the key's calls will end cannot be known, and the
// SDKs' own backoff starts near it.
const keyLimitRetry = 1

// admitKey takes a place among the calls in flight of the call's key, or
// fails the call at once with a 429 (in the envelope of its client API),
// counted in metrics by route. givePlaceBack gives the place back, however
// the call ends.
func (s *Server) admitKey(c *call) bool {
	id := auth.FromContext(c.r.Context())
	if id.MaxConcurrent <= 0 {
		return true
	}
	taken, limit := s.keyCalls.Take(c.r.Context(), id.KeyID, c.ex.Request.RequestID, id.MaxConcurrent)
	if taken {
		c.keyPlace = limit > 0
		return true
	}
	if m := s.deps.Metrics; m != nil {
		// The model routes are a fixed few: the label stays bounded.
		m.KeyConcurrencyRefused.WithLabelValues(c.ex.Request.Path).Inc()
	}
	c.fail(failure{api: &openai.Error{Status: http.StatusTooManyRequests, Type: openai.TypeRateLimit, Code: "key_concurrency_limit",
		RetryAfter: keyLimitRetry,
		Message:    fmt.Sprintf("this API key may have %s in flight at once, and has; try again when one of them ends", callCount(limit))},
		errType: qp.ErrorTypeKeyConcurrencyLimit})
	return false
}

// givePlaceBack gives the call's place among its key's calls in flight
// back, if it holds one. It comes before the answer's final bytes can reach
// the client (with RECORDER_SYNC too): a client that sends its next call as
// soon as it has read this one's end must find the place free.
func (s *Server) givePlaceBack(c *call) {
	if c.keyPlace {
		c.keyPlace = false
		s.keyCalls.Release(c.ex.Request.RequestID)
	}
}

// callCount is "1 call", "2 calls".
func callCount(n int) string {
	if n == 1 {
		return "1 call"
	}
	return fmt.Sprintf("%d calls", n)
}
