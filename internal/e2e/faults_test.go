package e2e

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

func TestUpstreamFaultsMapToHonestErrors(t *testing.T) {
	cases := []struct {
		name     string
		faults   []qwensim.Fault
		status   int
		code     string
		errType  string
		attempts int // upstream calls for the whole request: chats/new and completions
	}{
		{"http 401", []qwensim.Fault{{Status: 401}}, 401, "upstream_credentials_rejected", "upstream_auth", 2},
		{"http 403 (the account rests: a status the SDKs retry)", []qwensim.Fault{{Status: 403}}, 502, "upstream_forbidden", "upstream_auth", 2},
		{"http 429 with a long Retry-After", []qwensim.Fault{{Status: 429, RetryAfter: "3600"}}, 429, "insufficient_quota", "rate_limited", 2},
		{"http 500 until retries run out", []qwensim.Fault{{Status: 500, Times: 4}}, 502, "upstream_server_error", "upstream_error", 5},
		{"http 502 then success", []qwensim.Fault{{Status: 502, Times: 2}}, 200, "", "", 4},
		{"http 429 with a short Retry-After then success", []qwensim.Fault{{Status: 429, RetryAfter: "0"}}, 200, "", "", 3},
		{"daily quota envelope in HTTP 200", []qwensim.Fault{{Envelope: qwensim.CodeRateLimited, Details: "You've reached the upper limit for today's usage.", Num: 6, ActualStatus: 429}},
			429, "insufficient_quota", "rate_limited", 2},
		{"chat in progress once", []qwensim.Fault{{Envelope: qwensim.CodeBadRequest, Details: qwensim.ChatInProgress}}, 200, "", "", 3},
		{"chat in progress throughout", []qwensim.Fault{{Envelope: qwensim.CodeBadRequest, Details: qwensim.ChatInProgress, Times: 4}},
			502, "chat_in_progress", "upstream_error", 5},
		{"internal error envelope", []qwensim.Fault{{Envelope: qwensim.CodeInternal, Details: "Internal error", ActualStatus: 500, Times: 4}},
			502, "upstream_server_error", "upstream_error", 5},
		{"unauthorized envelope", []qwensim.Fault{{Envelope: qwensim.CodeUnauthorized, Details: "Invalid token", ActualStatus: 401}},
			401, "upstream_credentials_rejected", "upstream_auth", 2},
		{"firewall page", []qwensim.Fault{{Firewall: true}}, 502, "upstream_firewall", "upstream_firewall", 2},
		{"firewall page with http 403", []qwensim.Fault{{Firewall: true, Status: 403}}, 502, "upstream_firewall", "upstream_firewall", 2},
		{"risk control body with http 405", []qwensim.Fault{{RiskControl: true, Status: 405}}, 502, "upstream_firewall", "upstream_firewall", 2},
		{"unreadable body", []qwensim.Fault{{BadJSON: true}}, 502, "upstream_bad_response", "upstream_error", 2},
		{"rate limit as the only stream event", []qwensim.Fault{{Envelope: qwensim.CodeRateLimited, Details: "quota exceeded", Num: 2, InStream: true}},
			429, "insufficient_quota", "rate_limited", 2},
		{"no first byte in time", []qwensim.Fault{{Delay: time.Minute}}, 504, "upstream_timeout", "upstream_timeout", 2},
		{"chat creation fails", []qwensim.Fault{{Endpoint: qwensim.EndpointNewChat, Status: 503, Times: 4}}, 502, "upstream_server_error", "upstream_error", 4},
		{"chat creation refused by the firewall", []qwensim.Fault{{Endpoint: qwensim.EndpointNewChat, Firewall: true}}, 502, "upstream_firewall", "upstream_firewall", 1},
		// The forms of 2026 (qwen-2026.md §3.6) and empty answers.
		{"risk control body", []qwensim.Fault{{RiskControl: true}}, 502, "upstream_firewall", "upstream_firewall", 2},
		{"risk control as a stream event", []qwensim.Fault{{RiskControl: true, InStream: true}}, 502, "upstream_firewall", "upstream_firewall", 2},
		{"risk control after the answer began", []qwensim.Fault{{Frame: qwensim.RiskControlBody, FrameAfter: 2}}, 502, "upstream_firewall", "upstream_firewall", 2},
		{"a challenge event of no answer's shape", []qwensim.Fault{{Frame: `{"action":"captcha","url":"https://chat.qwen.ai/punish?x5secdata=sim"}`}}, 502, "upstream_firewall", "upstream_firewall", 2},
		{"a challenge page as a stream event", []qwensim.Fault{{Frame: `<!doctype html><html><body>aliyun_waf</body></html>`}}, 502, "upstream_firewall", "upstream_firewall", 2},
		{"not authenticated as a stream event", []qwensim.Fault{{Frame: `{"detail":"Not authenticated"}`}}, 401, "upstream_credentials_rejected", "upstream_auth", 2},
		{"a rate limit as a delta of status error", []qwensim.Fault{{Frame: `{"choices": [{"delta": {"role": "assistant", "content": "", "status": "error", "code": "RateLimited", "message": "You've reached the upper limit for today's usage."}}]}`}},
			429, "insufficient_quota", "rate_limited", 2},
		{"Bad_Request internal error is not retried", []qwensim.Fault{{Envelope: qwensim.CodeBadRequest, Details: qwensim.InternalError, Times: 4}},
			502, "upstream_bad_request", "upstream_error", 2},
		{"gateway 504 page in HTTP 200, then an answer", []qwensim.Fault{{GatewayTimeout: true}}, 200, "", "", 3},
		{"an empty answer, then a real one", []qwensim.Fault{{EmptyAnswer: true}}, 200, "", "", 3},
		{"empty answers throughout", []qwensim.Fault{{EmptyAnswer: true, Times: 10}}, 502, "upstream_empty_answer", "upstream_error", 4},
		{"thinking only, then an answer", []qwensim.Fault{{ThinkOnly: true}}, 200, "", "", 3},
		{"thinking only throughout", []qwensim.Fault{{ThinkOnly: true, Times: 10}}, 502, "upstream_empty_answer", "upstream_error", 4},
		{"streams of nothing but [DONE]", []qwensim.Fault{{DoneOnly: true, Times: 10}}, 502, "upstream_empty_answer", "upstream_error", 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, func(c *config.Config) {
				if tc.code == "upstream_timeout" {
					c.QwenTimeout = time.Second
				}
			})
			e.sim.Inject(tc.faults...)
			got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("hello")))
			r := e.lastRow()
			// Opening the chat is one attempt, unless the fault is there;
			// upstream_attempts counts completions only.
			newChat := 1
			if tc.faults[0].Endpoint == qwensim.EndpointNewChat {
				newChat = tc.attempts
			}
			if r.Responses != 1 || r.NewChatAttempts != newChat || r.Attempts != tc.attempts-newChat || r.HTTPStatus != tc.status {
				t.Fatalf("stored row %+v; want one response, %d new-chat and %d completion attempts, status %d", r, newChat, tc.attempts-newChat, tc.status)
			}
			// An answer that started and proved empty is a failed attempt
			// in the record (none was listed: the dashboard said every
			// attempt succeeded).
			if f := tc.faults[0]; f.EmptyAnswer || f.ThinkOnly {
				var listed sql.NullString
				if err := e.db().QueryRow(`SELECT r.upstream_errors FROM responses r JOIN requests q ON q.id = r.request_id WHERE q.request_id = ?`, r.RequestID).Scan(&listed); err != nil {
					t.Fatal(err)
				}
				empty := tc.attempts - newChat // every completion attempt, when none recovered
				if tc.status == 200 {
					empty--
				}
				if n := strings.Count(listed.String, "completions: empty_answer"); n != empty {
					t.Fatalf("upstream_errors %q: %d empty answers listed, want %d", listed.String, n, empty)
				}
			}
			if tc.status == 200 {
				if err != nil || got.Choices[0].Message.Content != `You said: "hello".` || r.Status != "success" {
					t.Fatalf("recovered call: %v, row %+v", err, r)
				}
				return
			}
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want an API error", err)
			}
			if apiErr.StatusCode != tc.status || apiErr.Code != tc.code || apiErr.Message == "" {
				t.Fatalf("got %d %q %q, want %d %q", apiErr.StatusCode, apiErr.Code, apiErr.Message, tc.status, tc.code)
			}
			if r.Status != "error" || r.ErrorType != tc.errType || r.Error != apiErr.Message || !strings.Contains(r.OpenAIResponse.String, tc.code) {
				t.Fatalf("stored row %+v", r)
			}
			if tc.faults[0].Endpoint == qwensim.EndpointNewChat && r.SessionID != "" {
				t.Fatalf("a call that never got a chat names session %q", r.SessionID)
			}
		})
	}
}

func TestRateLimitCarriesRetryAfter(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{Envelope: qwensim.CodeRateLimited, Details: "limit", Num: 2})
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`, nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7200" {
		t.Fatalf("status %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// The SDKs sleep for any Retry-After before they retry: a wait of hours
	// tells them not to, on every client API (the account now rests, so
	// these calls are refused without asking Qwen).
	for _, c := range []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`},
		{"/v1/messages", `{"model":"claude-x","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`},
		{"/v1/responses", `{"model":"gpt-5","input":"hi"}`},
	} {
		resp := postJSON(t, e, c.path, c.body, nil)
		retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != 429 || retry < 7000 || resp.Header.Get("X-Should-Retry") != "false" {
			t.Fatalf("%s: status %d Retry-After %q X-Should-Retry %q", c.path, resp.StatusCode,
				resp.Header.Get("Retry-After"), resp.Header.Get("X-Should-Retry"))
		}
	}
}

// TestShortRetryAfterLeavesTheRetryToTheClient: a wait the SDKs may take
// within a call carries no X-Should-Retry.
func TestShortRetryAfterLeavesTheRetryToTheClient(t *testing.T) {
	e := start(t, func(c *config.Config) { c.MaxRetries = 0 })
	e.sim.Inject(qwensim.Fault{Status: 429, RetryAfter: "30"})
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`, nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || resp.Header.Get("X-Should-Retry") != "" {
		t.Fatalf("status %d Retry-After %q X-Should-Retry %q", resp.StatusCode,
			resp.Header.Get("Retry-After"), resp.Header.Get("X-Should-Retry"))
	}
}

func TestMissingCredentialsGive503(t *testing.T) {
	e := start(t, func(c *config.Config) { c.QwenToken, c.QwenCookies = "", "" })
	_, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("hello")))
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || apiErr.Code != "credentials_missing" {
		t.Fatalf("err = %v", err)
	}
	if len(e.sim.Calls()) != 0 {
		t.Fatalf("upstream called without credentials: %+v", e.sim.Calls())
	}
	if r := e.lastRow(); r.ErrorType != "credentials_missing" || r.HTTPStatus != 503 {
		t.Fatalf("row %+v", r)
	}
}

// TestFinalFailuresAreNotRetriedBySDKs: a 5xx the same call cannot escape
// by being sent again (no credentials; Qwen refusing the request as such)
// carries X-Should-Retry: false, which the OpenAI and Anthropic SDKs obey:
// they retried it twice, each retry a Qwen call refused the same way. A
// passing failure (Qwen's 5xx) leaves their retries as they are.
func TestFinalFailuresAreNotRetriedBySDKs(t *testing.T) {
	e := start(t, func(c *config.Config) { c.QwenToken, c.QwenCookies = "", "" })
	for _, path := range []string{"/v1/chat/completions", "/v1/messages"} {
		resp := postJSON(t, e, path, `{"model":"qwen3-max","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`, nil)
		if resp.StatusCode != 503 || resp.Header.Get("X-Should-Retry") != "false" {
			t.Fatalf("%s without credentials: %d X-Should-Retry %q", path, resp.StatusCode, resp.Header.Get("X-Should-Retry"))
		}
	}
	e = start(t, func(c *config.Config) { c.MaxRetries = 0 })
	e.sim.Inject(qwensim.Fault{Envelope: qwensim.CodeBadRequest, Details: "Internal error"})
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`, nil)
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 502 || !strings.Contains(string(b), "upstream_bad_request") || resp.Header.Get("X-Should-Retry") != "false" {
		t.Fatalf("Qwen refusing the request: %d %s X-Should-Retry %q", resp.StatusCode, b, resp.Header.Get("X-Should-Retry"))
	}
	e.sim.Inject(qwensim.Fault{Status: 500})
	resp = postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`, nil)
	if resp.StatusCode != 502 || resp.Header.Get("X-Should-Retry") != "" {
		t.Fatalf("Qwen's 500: %d X-Should-Retry %q", resp.StatusCode, resp.Header.Get("X-Should-Retry"))
	}
}

// A server started with no Qwen credentials at all says so at start, with
// what to set: it started silently, and only the first call's 503 told.
// One with credentials does not warn.
func TestStartWithoutCredentialsWarns(t *testing.T) {
	const warning = `level=WARN msg="no Qwen credentials are configured`
	e := start(t, func(c *config.Config) { c.QwenToken, c.QwenCookies = "", "" })
	if logs := e.logs(); !strings.Contains(logs, warning) || !strings.Contains(logs, "QWEN_ACCOUNTS or QWEN_COOKIES") {
		t.Fatalf("no warning at start:\n%s", logs)
	}
	if logs := start(t, nil).logs(); strings.Contains(logs, warning) {
		t.Fatalf("warned with credentials:\n%s", logs)
	}
}

// streamUntilError reads a stream to its end and returns the text received
// and the stream's error.
func streamUntilError(t *testing.T, e *env, ctx context.Context, text string) (string, error) {
	t.Helper()
	stream := e.client.Chat.Completions.NewStreaming(ctx, chatParams(openai.UserMessage(text)))
	var got strings.Builder
	for stream.Next() {
		for _, c := range stream.Current().Choices {
			got.WriteString(c.Delta.Content)
		}
	}
	return got.String(), stream.Err()
}

func TestStreamCutMidwayIsReportedAndRecorded(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{CutAfter: 3})
	got, err := streamUntilError(t, e, ctxT(t), "please tell me a long story")
	if err == nil || !strings.Contains(err.Error(), "broke off") {
		t.Fatalf("stream error = %v", err)
	}
	if got != `You said: "please` {
		t.Fatalf("received %q before the cut", got)
	}
	r := e.lastRow()
	if r.Status != "error" || r.ErrorType != "upstream_stream_cut" || r.HTTPStatus != 200 || r.Responses != 1 ||
		r.FinishReason != "" || !strings.Contains(r.OpenAIResponse.String, `You said: \"please`) {
		t.Fatalf("row %+v", r)
	}
	// The cut turn did not advance the session: resending the same history
	// opens no second chat and threads under the same parent.
	if n := e.count(`SELECT message_count FROM sessions WHERE id = ?`, r.SessionID); n != 0 {
		t.Fatalf("message_count %d after a cut turn", n)
	}
	// The operator hears of it as of any failure of Qwen's (the record
	// alone said so before).
	if logs := e.logs(); !strings.Contains(logs, `msg="Qwen call failed" kind=stream_cut endpoint=completions_stream`) {
		t.Fatalf("the cut is not in the log:\n%s", logs)
	}
}

func TestInStreamErrorEventIsForwarded(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{ErrorAfter: 2})
	_, err := streamUntilError(t, e, ctxT(t), "one two three four")
	if err == nil || !strings.Contains(err.Error(), "please slow down") {
		t.Fatalf("stream error = %v", err)
	}
	if r := e.lastRow(); r.ErrorType != "rate_limited" || r.HTTPStatus != 200 || r.Responses != 1 {
		t.Fatalf("row %+v", r)
	}
}

func TestStalledStreamTimesOut(t *testing.T) {
	// A generous first-byte timeout: the stall is caught by the idle timeout.
	e := start(t, func(c *config.Config) { c.QwenTimeout, c.QwenIdleTimeout = time.Minute, time.Second })
	e.sim.Inject(qwensim.Fault{StallAfter: 2})
	got, err := streamUntilError(t, e, ctxT(t), "one two three four")
	if err == nil || !strings.Contains(err.Error(), "did not answer in time") || got != `You said:` {
		t.Fatalf("got %q, stream error %v", got, err)
	}
	if logs := e.logs(); !strings.Contains(logs, `msg="Qwen call failed" kind=timeout endpoint=completions_stream`) {
		t.Fatalf("the stall is not in the log:\n%s", logs)
	}
	if r := e.lastRow(); r.ErrorType != "upstream_timeout" || r.Attempts != 1 || r.NewChatAttempts != 1 {
		t.Fatalf("row %+v", r)
	}
}

func TestClientDisconnectMidStreamIsRecorded(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{StallAfter: 2})
	ctx, cancel := context.WithCancel(ctxT(t))
	stream := e.client.Chat.Completions.NewStreaming(ctx, chatParams(openai.UserMessage("one two three four")))
	var got strings.Builder
	for stream.Next() {
		for _, c := range stream.Current().Choices {
			got.WriteString(c.Delta.Content)
		}
		if got.String() == "You said:" {
			cancel() // the client leaves while Qwen is still answering
		}
	}
	cancel()
	r := e.lastRow() // lastRow syncs: it waits for the handler to finish
	if r.Status != "error" || r.ErrorType != "client_disconnect" || r.HTTPStatus != 200 || r.Responses != 1 ||
		!strings.Contains(r.OpenAIResponse.String, "You said:") {
		t.Fatalf("row %+v", r)
	}
}

// leaveOnceAsked makes a chat call whose client leaves once Qwen has been
// asked, before any answer (Qwen is made to wait a minute).
func leaveOnceAsked(t *testing.T, e *env) {
	t.Helper()
	reached := make(chan struct{}, 1)
	e.sim.Inject(qwensim.Fault{Delay: time.Minute, Reached: reached})
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	go func() {
		select {
		case <-reached:
			cancel()
		case <-ctx.Done():
		}
	}()
	if _, err := e.client.Chat.Completions.New(ctx, chatParams(openai.UserMessage("hello"))); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestClientDisconnectBeforeAnswerIsRecorded(t *testing.T) {
	e := start(t, func(c *config.Config) { c.QwenTimeout = time.Minute })
	leaveOnceAsked(t, e)
	if r := e.lastRow(); r.ErrorType != "client_disconnect" || r.HTTPStatus != 499 || r.Responses != 1 || r.Attempts != 1 || r.NewChatAttempts != 1 {
		t.Fatalf("row %+v", r)
	}
}

// With RECORDER_SYNC, a call whose client left (an agent interrupted
// mid-answer) has no final bytes to hold back: its record is written as any
// other, and the log does not claim that neither the database nor the spool
// took it.
func TestClientDisconnectUnderRecorderSyncWarnsOfNothing(t *testing.T) {
	e := start(t, func(c *config.Config) { c.RecorderSync = true; c.QwenTimeout = time.Minute })
	leaveOnceAsked(t, e)
	if r := e.lastRow(); r.ErrorType != "client_disconnect" || r.Responses != 1 {
		t.Fatalf("row %+v", r)
	}
	e.stop() // every call finished: its log lines are written
	if logs := e.logs(); strings.Contains(logs, "durable") {
		t.Fatalf("a call whose client left was logged as not durable:\n%s", logs)
	}
}

func TestSecretsNeverReachTheDatabase(t *testing.T) {
	e := start(t, nil)
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("hello"))); err != nil {
		t.Fatal(err)
	}
	e.sim.Inject(qwensim.Fault{Status: 401})
	_, _ = e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("again")))
	e.stop()
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(e.cfg.DatabasePath + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, secret := range []string{"test-token", "secret-cookie"} {
			if strings.Contains(string(b), secret) {
				t.Fatalf("%s found in %s", secret, e.cfg.DatabasePath+suffix)
			}
		}
	}
}

func TestEveryFailedAttemptIsRecorded(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{Endpoint: qwensim.EndpointNewChat, Status: 503},
		qwensim.Fault{Status: 429, RetryAfter: "0"}, qwensim.Fault{Envelope: qwensim.CodeBadRequest, Details: qwensim.ChatInProgress})
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("persist"))); err != nil {
		t.Fatal(err)
	}
	var attempts, newChat int
	var failures string
	if err := e.db().QueryRow(`SELECT upstream_attempts, new_chat_attempts, upstream_errors FROM responses`).Scan(&attempts, &newChat, &failures); err != nil {
		t.Fatal(err)
	}
	want := "chats_new: server 503; completions: rate_limited 429; completions: chat_busy 400"
	if attempts != 3 || newChat != 2 || failures != want {
		t.Fatalf("attempts %d + %d new chat, failures %q; want 3 + 2, %q", attempts, newChat, failures, want)
	}
	if got := list(t, e, "/v1/responses"); len(got) != 1 || got[0]["upstream_errors"] != want {
		t.Fatalf("the history API shows %v", got)
	}
}

// An answer that only thought is asked for again, and its reasoning is not
// the client's: a non-streamed answer carried the discarded attempt's
// reasoning before the real one's (here, where none was asked for, the
// discarded one's alone).
func TestADiscardedEmptyAnswerLeavesNoReasoning(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{ThinkOnly: true})
	resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hello"}]}`, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `You said: \"hello\".`) || strings.Contains(body, "no answer follows") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}
