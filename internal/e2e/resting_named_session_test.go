package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// OpenCode names its session (X-Session-Id) and retries a failed turn at
// once: after Qwen's "please slow down" its retry met the only account
// resting and was refused before its turn (503 accounts_unavailable, or a
// 429), recorded without its session, so the session's history lacked the
// call its user saw fail. It is recorded in its session, as a call that
// fails waiting for its turn is.
func TestACallRefusedWhileEveryAccountRestsIsInItsNamedSession(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}},
		func(c *config.Config) { c.MaxRetries, c.FailureCooldown = 0, time.Minute })
	named := map[string]string{"X-Session-Id": "opencode-session"}
	if resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hi"}]}`, named); resp.StatusCode != 200 {
		t.Fatalf("first call: %d %s", resp.StatusCode, body)
	}
	resp, last := refusedWhileResting(t, e, `{"messages":[{"role":"user","content":"and then?"}]}`, named)
	if last.RequestID != resp.Header.Get("X-Request-Id") || last.SessionID != "opencode-session" || resp.Header.Get("X-Session-Id") != "opencode-session" {
		t.Fatalf("the refused call was recorded in session %q (header %q), want opencode-session", last.SessionID, resp.Header.Get("X-Session-Id"))
	}
}

// refusedWhileResting fails body's call once with a 502, which rests the
// only account, then sends it again: the 503 accounts_unavailable it gets,
// and the row recorded last (that call's, once the recorder has written).
func refusedWhileResting(t *testing.T, e *env, body string, headers map[string]string) (*http.Response, row) {
	t.Helper()
	e.sim.Inject(qwensim.Fault{Status: 502})
	if resp, got := chatCall(t, e, body, headers); resp.StatusCode != 502 {
		t.Fatalf("the call that rests the account: %d %s", resp.StatusCode, got)
	}
	resp, got := chatCall(t, e, body, headers)
	if resp.StatusCode != 503 || !strings.Contains(got, `"accounts_unavailable"`) {
		t.Fatalf("with the only account resting: %d %s", resp.StatusCode, got)
	}
	e.app.Recorder().Sync(ctxT(t))
	return resp, e.lastRow()
}
