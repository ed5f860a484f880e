package server

import (
	"fmt"
	"net/http"

	"qwenproxy/internal/openai"
)

// admissionRetry is the Retry-After of a request refused because the proxy
// has MaxInFlight requests in progress, in seconds: when one of them ends
// cannot be known, and the SDKs' own backoff starts near it.
const admissionRetry = 1

// admission bounds the requests with a body in progress at once
// (MAX_IN_FLIGHT). Each holds its body (up to MAX_BODY_BYTES) and, for a
// model call, its answer while it runs; without a bound their number was
// limited only by file descriptors, and a runaway client could take the
// process's memory with them. A request without a body (a history read,
// GET /health, /metrics) is never refused: an operator can still see what
// is happening while the proxy is full.
type admission struct {
	places chan struct{} // one element per request in progress
}

func newAdmission(limit int) admission {
	return admission{places: make(chan struct{}, limit)}
}

// admit takes a place for a request with a body before its handler
// reads it (held), to be given back (giveBack) when the handler returns: a
// stream's end, a panic, a client that left; a request without a body
// needs none. With no place free it answers at once and returns !ok: 503 with Retry-After, an overloaded_error to an Anthropic
// client (both retried by the SDKs and the agents), counted in
// qwenproxy_requests_refused_in_flight_total. Such a request is not
// recorded: nothing of it was read, and it changed nothing. The router
// (dispatch) asks only once a route serves the request's method and path:
// a request none serves is answered its 404 or 405, which tells a client
// calling a wrong URL its mistake, never told to retry; and it asks after
// the key guard, so a request refused there holds no place however slowly
// it sends its body.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (held, ok bool) {
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return false, true
	}
	select {
	case s.admission.places <- struct{}{}:
		return true, true
	default:
	}
	if m := s.deps.Metrics; m != nil {
		m.InFlightRefused.Inc()
	}
	writeErrorFor(w, r, &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeServer, Code: "server_overloaded",
		RetryAfter: admissionRetry,
		Message: fmt.Sprintf("the proxy has %s in progress, as many as MAX_IN_FLIGHT allows; try again when one of them ends",
			requestCount(cap(s.admission.places)))})
	return false, false
}

// giveBack gives a place taken by admit back.
func (a admission) giveBack() { <-a.places }

// requestCount is "1 request", "2 requests".
func requestCount(n int) string {
	if n == 1 {
		return "1 request"
	}
	return fmt.Sprintf("%d requests", n)
}
