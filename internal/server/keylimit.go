package server

import (
	"fmt"
	"net/http"
	"sync"

	qp "qwenproxy"
	"qwenproxy/internal/auth"
	"qwenproxy/internal/openai"
)

// keyCalls counts each limited key's calls in flight on this instance, so
// that one runaway agent cannot take all of the upstream capacity (a key's
// MaxConcurrent, `qwenproxy keys add --max-concurrent`). Only keys with a
// limit are counted; a key's entry goes when its last call ends.
type keyCalls struct {
	mu       sync.Mutex
	inFlight map[string]int
}

// take counts one more call of key unless it has max in flight already.
func (k *keyCalls) take(key string, max int) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.inFlight[key] >= max {
		return false
	}
	if k.inFlight == nil {
		k.inFlight = map[string]int{}
	}
	k.inFlight[key]++
	return true
}

// release counts a call of key as ended.
func (k *keyCalls) release(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.inFlight[key]--; k.inFlight[key] <= 0 {
		delete(k.inFlight, key)
	}
}

// keyLimitRetry is the Retry-After of a call over its key's limit, in
// seconds: when one of the key's calls will end cannot be known, and the
// SDKs' own backoff starts near it.
const keyLimitRetry = 1

// admitKey takes a place among the calls in flight of the call's key, or
// fails the call at once with a 429 (in the envelope of its client API),
// counted in metrics by route. finish gives the place back, however the
// call ends.
func (s *Server) admitKey(c *call) bool {
	id := auth.FromContext(c.r.Context())
	if id.MaxConcurrent <= 0 {
		return true
	}
	if s.keyCalls.take(id.KeyID, id.MaxConcurrent) {
		c.keySlot = id.KeyID
		return true
	}
	if m := s.deps.Metrics; m != nil {
		// The model routes are a fixed few: the label stays bounded.
		m.KeyConcurrencyRefused.WithLabelValues(c.ex.Request.Path).Inc()
	}
	c.fail(failure{api: &openai.Error{Status: http.StatusTooManyRequests, Type: openai.TypeRateLimit, Code: "key_concurrency_limit",
		RetryAfter: keyLimitRetry,
		Message:    fmt.Sprintf("this API key may have %s in flight at once, and has; try again when one of them ends", callCount(id.MaxConcurrent))},
		errType: qp.ErrorTypeKeyConcurrencyLimit})
	return false
}

// callCount is "1 call", "2 calls".
func callCount(n int) string {
	if n == 1 {
		return "1 call"
	}
	return fmt.Sprintf("%d calls", n)
}
