package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// OpenCode sends its title call and its main thread's call at once, under
// one X-Session-Id: the main call waits for the session while the title is
// answered. A user who presses Ctrl-C then leaves a call that never got its
// session's turn; it was recorded without its session, so the session's
// history and transcript lost the prompt the user had sent. It is recorded
// in the session it named, which is the caller's: while the title is the
// session's first turn (OpenCode's new conversation; the session is not
// stored until that turn ends) as well as on a later one.
func TestACallThatLeftWhileWaitingForItsSessionIsRecordedInIt(t *testing.T) {
	for _, later := range []bool{false, true} {
		name := "during its first turn"
		if later {
			name = "during a later turn"
		}
		t.Run(name, func(t *testing.T) { leaveWhileWaiting(t, later) })
	}
}

// leaveWhileWaiting leaves a call waiting for a turn of session
// ses_waiting held by another (its first, or a later one), and checks that
// every call is recorded in it.
func leaveWhileWaiting(t *testing.T, later bool) {
	// A key, as agents send; each record committed at once (as the agent
	// tests run the proxy), so the call that left is written before the
	// turn that held the session.
	e := start(t, func(c *config.Config) { c.RecorderSync, c.APIKeys = true, []string{"not-checked"} })
	named := option.WithHeader("X-Session-Id", "ses_waiting")
	calls := 2
	if later {
		if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("Generate a title")), named); err != nil {
			t.Fatal(err)
		}
		e.sync() // the session is stored
		calls++
	}

	// A turn that holds the session: its answer goes silent after it began.
	e.sim.Inject(qwensim.Fault{StallAfter: 2})
	body := `{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"Generate another title"}]}`
	holding, cancelHolding := context.WithCancel(ctxT(t))
	defer cancelHolding()
	req, _ := http.NewRequestWithContext(holding, http.MethodPost, e.app.URL()+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Session-Id", "ses_waiting")
	req.Header.Set("Authorization", "Bearer not-checked")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil { // its stream has begun
		t.Fatal(err)
	}

	// The main call waits for the session; its client leaves, and is
	// recorded before the turn that held the session.
	waiting, leave := context.WithCancel(ctxT(t))
	done := make(chan error, 1)
	go func() {
		_, err := e.client.Chat.Completions.New(waiting, chatParams(openai.UserMessage("tell me a story")), named)
		done <- err
	}()
	deadline := ctxT(t)
	for len(activeCalls(t, e)) < 2 {
		if err := deadline.Err(); err != nil {
			t.Fatal("the second call never arrived")
		}
	}
	leave()
	if err := <-done; err == nil {
		t.Fatal("the call that left was answered")
	}
	for len(activeCalls(t, e)) > 1 { // its record is queued
		if err := deadline.Err(); err != nil {
			t.Fatal("the call that left never ended")
		}
	}
	cancelHolding()

	rows := e.rows()
	if len(rows) != calls {
		t.Fatalf("%d calls recorded, want %d: %+v", len(rows), calls, rows)
	}
	for _, r := range rows {
		if r.SessionID != "ses_waiting" {
			t.Errorf("call %s (%s, %s) recorded in session %q, not the one it named", r.RequestID, r.Status, r.ErrorType, r.SessionID)
		}
	}
}

// activeCalls is GET /v1/requests/active's list, asked with the test
// client's key.
func activeCalls(t *testing.T, e *env) []any {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctxT(t), http.MethodGet, e.app.URL()+"/v1/requests/active", nil)
	req.Header.Set("Authorization", "Bearer not-checked")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Data []any }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("active calls: %d %v", resp.StatusCode, err)
	}
	return v.Data
}
