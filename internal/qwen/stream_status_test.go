package qwen

import (
	"net/http"
	"testing"
)

// An event stream answered with HTTP 200 carries its logical status in
// x-actual-status-code as every other answer does ("HTTP 200 for streaming
// even if logical error", qwen-wire.md §5, S10). The stream's failure was
// read without it: an envelope whose code says little (Forbidden, a
// Service_Unavailable) was a refused request of status 0 — not the
// account's refusal, never retried — where the same envelope as a JSON
// answer was the 403 or the 503; and a failure status whose stream held no
// event was an empty answer, asked again twice.
func TestAStreamsLogicalStatusClassifiesItsFailure(t *testing.T) {
	sse := "text/event-stream; charset=utf-8"
	forbidden := body(sse, "data: {\"success\":false,\"request_id\":\"r\",\"data\":{\"code\":\"Forbidden\",\"details\":\"account banned\"}}\n\n",
		"X-Actual-Status-Code", "403")
	unavailable := body(sse, "data: {\"success\":false,\"request_id\":\"r\",\"data\":{\"code\":\"Service_Unavailable\",\"details\":\"try later\"}}\n\n",
		"X-Actual-Status-Code", "503")
	unauthorizedEmpty := body(sse, "", "X-Actual-Status-Code", "401")
	for _, tc := range []struct {
		name     string
		answers  []func(http.ResponseWriter)
		kind     Kind // "" for success
		status   int
		attempts int32
	}{
		{"forbidden", []func(http.ResponseWriter){forbidden}, KindAuth, 403, 1},
		{"unavailable retried", []func(http.ResponseWriter){unavailable, body(sse, okStream)}, "", 0, 2},
		{"unauthorized without an event", []func(http.ResponseWriter){unauthorizedEmpty}, KindAuth, 401, 1},
		{"a 200 stream is read as ever", []func(http.ResponseWriter){body(sse, okStream, "X-Actual-Status-Code", "200")}, "", 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, n := scripted(t, tc.answers...)
			err := complete(c)
			checkOutcome(t, err, n.Load(), tc.kind, tc.status, tc.attempts)
			if tc.name == "forbidden" {
				if qe, _ := AsError(err); !qe.Forbidden() {
					t.Fatalf("%v is not a bare 403", err)
				}
			}
		})
	}
}
