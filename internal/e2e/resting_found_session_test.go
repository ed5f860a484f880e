package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// Claude Code and Codex find their session by the history they resend (no
// X-Session-Id) and retry a turn Qwen failed: after Qwen's "please slow
// down" the retry met the only account resting and was refused before its
// turn (a 429 or 503), recorded without a session, so the conversation's
// transcript lacked a call its agent made. It is recorded in the session
// its history continues, as a named session's is.
func TestACallRefusedWhileEveryAccountRestsIsInTheSessionItsHistoryContinues(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}},
		func(c *config.Config) { c.MaxRetries, c.FailureCooldown = 0, time.Minute })
	resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hi"}]}`, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("first call: %d %s", resp.StatusCode, body)
	}
	next := secondTurn(t, body)
	e.sim.Inject(qwensim.Fault{Status: 502})
	if resp, body := chatCall(t, e, next, nil); resp.StatusCode != 502 {
		t.Fatalf("second call: %d %s", resp.StatusCode, body)
	}
	resp, body = chatCall(t, e, next, nil)
	if resp.StatusCode != 503 || !strings.Contains(body, `"accounts_unavailable"`) {
		t.Fatalf("with the only account resting: %d %s", resp.StatusCode, body)
	}
	e.app.Recorder().Sync(ctxT(t))
	rows := e.rows()
	if len(rows) != 3 || rows[0].SessionID == "" || rows[1].SessionID != rows[0].SessionID || rows[2].SessionID != rows[0].SessionID {
		t.Fatalf("the calls were recorded in sessions %q, %q, %q: want all in the first's", rows[0].SessionID, rows[1].SessionID, rows[2].SessionID)
	}
}

// A call its key's limit of calls in flight refuses (a 429 before its
// turn) is recorded in the session its resent history continues, as one
// refused for want of an account is.
func TestACallOverItsKeysLimitIsInTheSessionItsHistoryContinues(t *testing.T) {
	e := start(t, func(c *config.Config) { c.QwenTimeout = time.Minute })
	e.stop()
	limited, _ := addLimitedKey(t, e.cfg.DatabasePath, 1)
	e.boot()
	auth := map[string]string{"Authorization": "Bearer " + limited}
	resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hi"}]}`, auth)
	if resp.StatusCode != 200 {
		t.Fatalf("first call: %d %s", resp.StatusCode, body)
	}
	next := secondTurn(t, body)
	// Another conversation of the key holds its one place.
	reached := make(chan struct{}, 1)
	e.sim.Inject(qwensim.Fault{Delay: time.Minute, Reached: reached})
	ctx, cancel := context.WithCancel(ctxT(t))
	held := make(chan struct{})
	go func() {
		defer close(held)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.app.URL()+"/v1/chat/completions",
			strings.NewReader(`{"model":"qwen3-max","messages":[{"role":"user","content":"hold"}]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+limited)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-reached
	resp, body = chatCall(t, e, next, auth)
	cancel()
	<-held
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("over the key's limit: %d %s", resp.StatusCode, body)
	}
	e.sync()
	var refused row
	for _, r := range e.rows() {
		if r.RequestID == resp.Header.Get("X-Request-Id") {
			refused = r
		}
	}
	if first := e.rows()[0]; refused.RequestID == "" || first.SessionID == "" || refused.SessionID != first.SessionID {
		t.Fatalf("the refused call was recorded in session %q, want the conversation's %q", refused.SessionID, first.SessionID)
	}
}

// A first turn Qwen failed, sent again while the only account rests (Claude
// Code's retry), is recorded in the session the failed call opened and left
// to its retry.
func TestAFirstTurnRefusedWhileEveryAccountRestsIsInTheSessionItsFailureOpened(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}},
		func(c *config.Config) { c.MaxRetries, c.FailureCooldown = 0, time.Minute })
	first := `{"messages":[{"role":"user","content":"hi"}]}`
	e.sim.Inject(qwensim.Fault{Status: 502})
	if resp, body := chatCall(t, e, first, nil); resp.StatusCode != 502 {
		t.Fatalf("first call: %d %s", resp.StatusCode, body)
	}
	resp, body := chatCall(t, e, first, nil)
	if resp.StatusCode != 503 || !strings.Contains(body, `"accounts_unavailable"`) {
		t.Fatalf("with the only account resting: %d %s", resp.StatusCode, body)
	}
	e.app.Recorder().Sync(ctxT(t))
	rows := e.rows()
	if len(rows) != 2 || rows[0].SessionID == "" || rows[1].SessionID != rows[0].SessionID {
		t.Fatalf("the calls were recorded in sessions %q, %q: want both in the first's", rows[0].SessionID, rows[1].SessionID)
	}
}

// secondTurn is the conversation that a first call "hi", answered with
// body, goes on in: its answer resent, and a new question.
func secondTurn(t *testing.T, body string) string {
	t.Helper()
	return `{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"` + answerOf(t, body) + `"},{"role":"user","content":"and then?"}]}`
}
