package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/qwensim"
)

// exhaustedAnswer is what a client was told of a call no account could
// finish: status, Retry-After, X-Should-Retry and the error's message
// (either API's envelope), without the last failure's own detail.
type exhaustedAnswer struct {
	status              int
	retryAfter, noRetry string
	message             string
}

func readExhausted(t *testing.T, resp *http.Response) exhaustedAnswer {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	var env struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatalf("%d, not an error envelope: %s", resp.StatusCode, b)
	}
	msg, _, _ := strings.Cut(env.Error.Message, " (the last: ")
	return exhaustedAnswer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), noRetry: resp.Header.Get("X-Should-Retry"), message: msg}
}

// A call whose accounts run out during it — the first meets Qwen's
// firewall, the second its daily quota (or any other mix of the
// account's failures) — is answered as the next call is: the pool's
// status (503 accounts_unavailable: one cooling down, one rate-limited),
// the Retry-After of the account usable first, the message counting the
// accounts in each state. It was the last account's own 429 with its
// hour-long Retry-After and X-Should-Retry: false, where the next call got
// a 503 with Retry-After of seconds. Every client API, streamed or not.
func TestACallThatRunsOutOfAccountsIsAnsweredAsThePool(t *testing.T) {
	calls := []struct{ name, path, body string }{
		{"chat", "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`},
		{"chat stream", "/v1/chat/completions", `{"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"messages", "/v1/messages", `{"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`},
		{"messages stream", "/v1/messages", `{"model":"claude-x","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"responses", "/v1/responses", `{"model":"qwen3-max","input":"hi"}`},
		{"responses stream", "/v1/responses", `{"model":"qwen3-max","input":"hi","stream":true}`},
	}
	mixes := []struct {
		name   string
		faults []qwensim.Fault
		states string // the pool's message after them
	}{
		{"firewall then quota", []qwensim.Fault{{Firewall: true}, {Envelope: "RateLimited", ActualStatus: 429, Num: 1}}, "1 cooling down after failures (Qwen's firewall or a captcha page), 1 rate-limited by Qwen"},
		{"5xx then refused", []qwensim.Fault{{Endpoint: qwensim.EndpointNewChat, Status: 502}, {Endpoint: qwensim.EndpointNewChat, Status: 401, Times: 2}}, "1 cooling down after failures (Qwen's server errors (5xx)), 1 rejected by Qwen"},
	}
	for _, c := range calls {
		for _, m := range mixes {
			if m.name != mixes[0].name && c.name != "chat" && c.name != "messages stream" {
				continue // the second mix on two of the APIs: the mapping is one
			}
			t.Run(c.name+"/"+m.name, func(t *testing.T) {
				e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}, {Email: bob, Password: bobPassword}}, nil)
				for _, f := range m.faults {
					e.sim.Inject(f)
				}
				during := readExhausted(t, postJSON(t, e, c.path, c.body, nil))
				next := readExhausted(t, postJSON(t, e, c.path, c.body, nil))
				if during.status != http.StatusServiceUnavailable || during.message != next.message || during.status != next.status ||
					during.noRetry != next.noRetry || !strings.Contains(during.message, "no Qwen account can take the call (2 configured): "+m.states) {
					t.Fatalf("the call that ran out of accounts: %+v\nthe next call: %+v", during, next)
				}
				d, err1 := strconv.Atoi(during.retryAfter)
				n, err2 := strconv.Atoi(next.retryAfter)
				if err1 != nil || err2 != nil || d > 60 || d-n > 1 || n-d > 1 {
					t.Fatalf("Retry-After %q during, %q next (want the same seconds)", during.retryAfter, next.retryAfter)
				}
				e.app.Recorder().Sync(ctxT(t))
				rows := e.rows()
				if len(rows) != 2 || rows[0].ErrorType != "accounts_unavailable" || rows[0].HTTPStatus != 503 {
					t.Fatalf("recorded %+v", rows)
				}
			})
		}
	}
}
