package qwen

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// An envelope answered with a failure's HTTP status is classified as the
// same envelope answered with HTTP 200 and that status in
// x-actual-status-code (qwen-wire.md §5): by its code and details, the
// status beside them. The HTTP status alone decided, the envelope only
// lent its text: "The chat is in progress!" with HTTP 400 was a refused
// request (not retried, the chat not replaced), ContextLengthExceeded one
// too (not context_length_exceeded), a RateLimited quota with HTTP 429 lost
// its hours and was retried at once, and Bad_Request "Internal error…" with
// a 5xx was retried (qwen-2026.md §3.6: it is no fault of Qwen's).
func TestAnEnvelopeUnderAFailureStatusIsClassifiedByItsCode(t *testing.T) {
	sse := "text/event-stream; charset=utf-8"
	envelopeWith := func(status int, env string, header ...string) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			w.WriteHeader(status)
			io.WriteString(w, env)
		}
	}
	busy := envelopeWith(400, `{"success":false,"data":{"code":"Bad_Request","details":"The chat is in progress!"}}`)
	tooLong := envelopeWith(400, `{"success":false,"data":{"code":"ContextLengthExceeded","details":"the conversation is too long"}}`)
	quota := envelopeWith(429, `{"success":false,"data":{"code":"RateLimited","details":"You've reached the upper limit for today's usage.","num":6}}`)
	quotaLongerHeader := envelopeWith(429, `{"success":false,"data":{"code":"RateLimited","details":"quota","num":1}}`, "Retry-After", "7200")
	refused := envelopeWith(500, `{"success":false,"data":{"code":"Bad_Request","details":"Internal error..."}}`)
	gone := envelopeWith(400, `{"success":false,"data":{"code":"Bad_Request","details":"Invalid input chat parent_id x is not exist."}}`)
	for _, tc := range []struct {
		name     string
		answers  []func(http.ResponseWriter)
		call     func(*Client) error
		kind     Kind // "" for success
		retry    time.Duration
		attempts int32
	}{
		{"busy completion retried", []func(http.ResponseWriter){busy, body(sse, okStream)}, complete, "", 0, 2},
		{"busy throughout", []func(http.ResponseWriter){busy, busy, busy}, complete, KindBusy, 0, 3},
		{"too long", []func(http.ResponseWriter){tooLong}, complete, KindTooLong, 0, 1},
		{"quota keeps its hours", []func(http.ResponseWriter){quota}, complete, KindRateLimited, 6 * time.Hour, 1},
		{"quota takes the longer Retry-After", []func(http.ResponseWriter){quotaLongerHeader}, complete, KindRateLimited, 2 * time.Hour, 1},
		{"internal error is refused, not retried", []func(http.ResponseWriter){refused}, complete, KindBadRequest, 0, 1},
		{"parent gone", []func(http.ResponseWriter){gone}, complete, KindNotFound, 0, 1},
		{"new chat quota", []func(http.ResponseWriter){quota}, newChat, KindRateLimited, 6 * time.Hour, 1},
		{"new chat refused, not retried", []func(http.ResponseWriter){refused}, newChat, KindBadRequest, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, n := scripted(t, tc.answers...)
			err := tc.call(c)
			if tc.kind == "" {
				if err != nil || n.Load() != tc.attempts {
					t.Fatalf("err %v after %d calls, want success after %d", err, n.Load(), tc.attempts)
				}
				return
			}
			qe, ok := AsError(err)
			if !ok || qe.Kind != tc.kind || qe.RetryAfter != tc.retry || n.Load() != tc.attempts {
				t.Fatalf("err %v (retry after %v) after %d calls, want %s, retry after %v, after %d", err, retryOf(qe), n.Load(), tc.kind, tc.retry, tc.attempts)
			}
			if tc.name == "internal error is refused, not retried" && !qe.ClientRefused() {
				t.Fatalf("%v is not the refusal of an outdated client", qe)
			}
		})
	}
}

func retryOf(qe *Error) time.Duration {
	if qe == nil {
		return 0
	}
	return qe.RetryAfter
}
