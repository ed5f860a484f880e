package qwen

import (
	"net/http"
	"strings"
	"testing"
)

// A failure whose code and details stand at the top level beside
// success:false, not under data — {"success":false,"code":"Bad_Request",
// "details":"…"} — is read by that code and text (qwen-2026.md §3.6: a
// top-level code without the data envelope; Qwen2API's upstream-error.js
// reads payload.code and payload.message when success is false; a peer's
// measured note of 2026-09-22 shows a missing Version header answered so).
// They were read only without success: with it, the failure was a bad
// request of no code and no text — a quota not a rate limit, Qwen's
// "Internal error…" refusal of an outdated web client not recognised as
// one, a busy chat not retried.
func TestATopLevelCodeBesideSuccessFalseIsRead(t *testing.T) {
	sse := "text/event-stream; charset=utf-8"
	refused := body("application/json", `{"success":false,"request_id":"r1","code":"Bad_Request","details":"Internal error..."}`, "X-Actual-Status-Code", "400")
	busy := body("application/json", `{"success":false,"code":"Bad_Request","details":"The chat is in progress!"}`, "X-Actual-Status-Code", "400")
	expired := body("application/json", `{"success":false,"code":"Unauthorized","detail":"Token has expired"}`, "X-Actual-Status-Code", "401")
	inStream := body(sse, `data: {"success":false,"code":"Bad_Request","details":"Internal error..."}`+"\n\n")
	for _, tc := range []struct {
		name     string
		answers  []func(http.ResponseWriter)
		call     func(*Client) error
		kind     Kind // "" for success
		code     string
		text     string
		attempts int32
	}{
		{"completion refused", []func(http.ResponseWriter){refused}, complete, KindBadRequest, "Bad_Request", "Internal error", 1},
		{"new chat refused", []func(http.ResponseWriter){refused}, newChat, KindBadRequest, "Bad_Request", "Internal error", 1},
		{"refused in the stream", []func(http.ResponseWriter){inStream}, complete, KindBadRequest, "Bad_Request", "Internal error", 1},
		{"busy chat retried", []func(http.ResponseWriter){busy, body(sse, okStream)}, complete, "", "", "", 2},
		{"expired token", []func(http.ResponseWriter){expired}, complete, KindAuth, "Unauthorized", "Token has expired", 1},
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
			if !ok || qe.Kind != tc.kind || qe.Code != tc.code || !strings.Contains(qe.Message, tc.text) || n.Load() != tc.attempts {
				t.Fatalf("err %v after %d calls, want %s %s %q after %d", err, n.Load(), tc.kind, tc.code, tc.text, tc.attempts)
			}
			if tc.code == "Bad_Request" && !qe.ClientRefused() {
				t.Fatalf("%v is not read as Qwen's refusal of an outdated client", qe)
			}
		})
	}
}
