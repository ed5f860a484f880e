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

// admit is the handler that takes a place for each request with a body
// before next reads it, and gives it back when next returns (a stream's
// end, a panic, a client that left); with none free it answers at once:
// 503 with Retry-After, an overloaded_error to an Anthropic client (both
// retried by the SDKs and the agents), counted in
// qwenproxy_requests_refused_in_flight_total. Such a request is not
// recorded: nothing of it was read, and it changed nothing.
//
// routed says whether a route serves the request's method and path: one
// that none does is answered by the router (404, 405) without its body
// being read, and takes no place, so that a client calling a wrong URL is
// told so rather than told to retry.
func (s *Server) admit(next http.Handler, routed func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody || !routed(r) {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case s.admission.places <- struct{}{}:
		default:
			if m := s.deps.Metrics; m != nil {
				m.InFlightRefused.Inc()
			}
			writeErrorFor(w, r, &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeServer, Code: "server_overloaded",
				RetryAfter: admissionRetry,
				Message: fmt.Sprintf("the proxy has %d requests in progress, as many as MAX_IN_FLIGHT allows; try again when one of them ends",
					cap(s.admission.places))})
			return
		}
		defer func() { <-s.admission.places }()
		next.ServeHTTP(w, r)
	})
}
