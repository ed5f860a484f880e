package qwen

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// Qwen answers most failures with HTTP 200 and gives the logical status in
// the x-actual-status-code header, on every response (qwen-wire.md §5: S10,
// S7). The completion read it; the model list and chats/new did not, so an
// envelope whose code alone says little (a refusal with 403, a failure with
// 503) was a bad request of status 0: never retried, nor seen as the
// account's refusal.
func TestTheLogicalStatusOfEveryJSONAnswerIsRead(t *testing.T) {
	forbidden := body("application/json", `{"success":false,"request_id":"r","data":{"code":"Forbidden","details":"account banned"}}`,
		"X-Actual-Status-Code", "403")
	unavailable := body("application/json", `{"success":false,"request_id":"r","data":{"code":"Service_Unavailable","details":"try later"}}`,
		"X-Actual-Status-Code", "503")
	newChatOK := body("application/json", `{"success":true,"data":{"id":"c1"}}`)
	modelsOK := body("application/json", `{"success":true,"data":{"data":[]}}`)
	for _, tc := range []struct {
		name     string
		answers  []func(http.ResponseWriter)
		call     func(*Client) error
		kind     Kind // "" for success
		status   int
		attempts int32
	}{
		{"new chat refused 403", []func(http.ResponseWriter){forbidden}, newChat, KindAuth, 403, 1},
		{"new chat 503 retried", []func(http.ResponseWriter){unavailable, newChatOK}, newChat, "", 0, 2},
		{"models refused 403", []func(http.ResponseWriter){forbidden}, models, KindAuth, 403, 1},
		{"models 503", []func(http.ResponseWriter){unavailable}, models, KindServer, 503, 1},
		{"models 200 success", []func(http.ResponseWriter){modelsOK}, models, "", 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, n := scriptedModels(t, true, tc.answers...)
			checkOutcome(t, tc.call(c), n.Load(), tc.kind, tc.status, tc.attempts)
		})
	}
}

// checkOutcome checks a call that made calls requests to Qwen ended in
// err as wanted: a failure of kind with status after attempts requests, or
// for kind "" a success after attempts.
func checkOutcome(t *testing.T, err error, calls int32, kind Kind, status int, attempts int32) {
	t.Helper()
	if kind == "" {
		if err != nil || calls != attempts {
			t.Fatalf("err %v after %d calls", err, calls)
		}
		return
	}
	qe, ok := AsError(err)
	if !ok || qe.Kind != kind || qe.Status != status || calls != attempts {
		t.Fatalf("err %v after %d calls, want %s with status %d", err, calls, kind, status)
	}
}

func newChat(c *Client) error {
	_, _, err := c.NewChat(context.Background(), "qwen3-max")
	return err
}

func models(c *Client) error {
	_, err := c.Models(context.Background())
	return err
}

// A logical failure status whose body is not Qwen's envelope — none at
// all, or a gateway's plain text — is the failure its status names, as the
// same status given as the HTTP status is (qwen-wire.md §5: the logical
// status is x-actual-status-code's, S10; a plain 401/403/404/429/5xx has no
// recorded body). It was an unreadable answer: status 0 on chats/new and the
// model list, never retried, never the account's refusal.
func TestALogicalFailureWithoutAnEnvelopeIsItsStatus(t *testing.T) {
	unauthorized := body("text/plain", "", "X-Actual-Status-Code", "401")
	throttled := body("text/plain", "Too Many Requests", "X-Actual-Status-Code", "429")
	unavailable := body("application/json", "", "X-Actual-Status-Code", "503")
	newChatOK := body("application/json", `{"success":true,"data":{"id":"c1"}}`)
	sse := body("text/event-stream; charset=utf-8", okStream)
	complete := func(c *Client) error {
		s, _, _, err := c.Complete(context.Background(), NewCompletionRequest("c1", "", "qwen3-max", time.Now(), MessageSpec{Content: "hi"}))
		if s != nil {
			s.Close()
		}
		return err
	}
	for _, tc := range []struct {
		name     string
		models   bool
		answers  []func(http.ResponseWriter)
		call     func(*Client) error
		kind     Kind // "" for success
		status   int
		attempts int32
	}{
		{"new chat 401", false, []func(http.ResponseWriter){unauthorized}, newChat, KindAuth, 401, 1},
		{"new chat 503 retried", false, []func(http.ResponseWriter){unavailable, newChatOK}, newChat, "", 0, 2},
		{"models 429", true, []func(http.ResponseWriter){throttled}, models, KindRateLimited, 429, 1},
		{"completion 401", false, []func(http.ResponseWriter){unauthorized}, complete, KindAuth, 401, 1},
		{"completion 503 retried", false, []func(http.ResponseWriter){unavailable, sse}, complete, "", 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, n := scriptedModels(t, tc.models, tc.answers...)
			checkOutcome(t, tc.call(c), n.Load(), tc.kind, tc.status, tc.attempts)
		})
	}
}
