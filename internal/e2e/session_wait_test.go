package e2e

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"qwenproxy/internal/qwensim"
)

// OpenCode sends its title call and its main thread's call at once, under
// one X-Session-Id: the main call waits for the session while the title is
// answered. A user who presses Ctrl-C then leaves a call that never got its
// session's turn; it was recorded without its session, so the session's
// history and transcript lost the prompt the user had sent. It is recorded
// in the session it named, which is the caller's.
func TestACallThatLeftWhileWaitingForItsSessionIsRecordedInIt(t *testing.T) {
	e := start(t, nil)
	named := option.WithHeader("X-Session-Id", "ses_waiting")
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("Generate a title")), named); err != nil {
		t.Fatal(err)
	}
	e.sync() // the session is stored, as it is after an agent's first turn

	// A turn that holds the session: its answer goes silent after it began.
	e.sim.Inject(qwensim.Fault{StallAfter: 2})
	body := `{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"Generate another title"}]}`
	holding, cancelHolding := context.WithCancel(ctxT(t))
	defer cancelHolding()
	req, _ := http.NewRequestWithContext(holding, http.MethodPost, e.app.URL()+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Session-Id", "ses_waiting")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil { // its stream has begun
		t.Fatal(err)
	}

	// The main call waits for the session; its client leaves.
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
	cancelHolding()

	rows := e.rows()
	if len(rows) != 3 {
		t.Fatalf("%d calls recorded: %+v", len(rows), rows)
	}
	for _, r := range rows {
		if r.SessionID != "ses_waiting" {
			t.Errorf("call %s (%s, %s) recorded in session %q, not the one it named", r.RequestID, r.Status, r.ErrorType, r.SessionID)
		}
	}
}

// activeCalls is GET /v1/requests/active's list.
func activeCalls(t *testing.T, e *env) []any {
	t.Helper()
	status, v := getJSON(t, e, http.MethodGet, "/v1/requests/active")
	if status != http.StatusOK {
		t.Fatalf("active calls: %d %v", status, v)
	}
	data, _ := v["data"].([]any)
	return data
}
