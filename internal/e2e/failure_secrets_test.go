package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/storetest"
)

// The first message of the conversations below: a connection string, its
// password repeated outside it (masked by the call's record only as a
// value its bodies hid), and a tool call's secret argument the message
// quotes.
const (
	failedURLPassword = "Pw-9876-xq"
	failedToolSecret  = "sk-live-QW12ER34"
	failedAsk         = "connect with postgres://app:" + failedURLPassword + "@db.internal/app (password " + failedURLPassword +
		") and check the key " + failedToolSecret
)

// failedAskBody is a chat call whose first message is failedAsk and whose
// history holds failedToolSecret in a tool call's argument named like a
// secret.
func failedAskBody(model string) string {
	return `{"model":"` + model + `","messages":[{"role":"user","content":"` + failedAsk + `"},` +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"login",` +
		`"arguments":"{\"api_key\":\"` + failedToolSecret + `\"}"}}]},` +
		`{"role":"tool","tool_call_id":"call_1","content":"ok"}]}`
}

// TestAFailureRecordsNoSecretOfTheRequestInItsTexts: Qwen's refusal that
// echoes the client's text — a connection string, a key the request's
// bodies hid — is recorded (the failure's message) without them, as the
// call's bodies are. Until 2026-12-06 the row's error kept what its bodies
// masked.
func TestAFailureRecordsNoSecretOfTheRequestInItsTexts(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, backend string) {
		e := startOn(t, backend, nil)
		e.sim.Inject(qwensim.Fault{Envelope: qwensim.CodeBadRequest, Details: "refused: " + failedAsk})
		resp := postJSON(t, e, "/v1/chat/completions", failedAskBody("qwen3-max"), nil)
		answer, _ := io.ReadAll(resp.Body)
		if resp.StatusCode < 400 || !strings.Contains(string(answer), "refused") {
			t.Fatalf("the call: %d %s", resp.StatusCode, answer)
		}
		row := e.lastRow()
		if !strings.Contains(row.Error, "refused: connect with postgres://app:[REDACTED]@db.internal/app") {
			t.Errorf("the recorded error does not keep the refusal, its URL's password masked: %s", row.Error)
		}
		for _, secret := range []string{failedURLPassword, failedToolSecret} {
			for part, text := range map[string]string{"error": row.Error, "answer": row.OpenAIResponse.String} {
				if strings.Contains(text, secret) {
					t.Errorf("the record's %s holds %q: %s", part, secret, around(text, secret))
				}
			}
		}
		// The refusal's text, as the client is told it and the log keeps
		// it, is masked alike: its URL's password wherever the text
		// repeats it, the key the request's body hid. Until 2026-12-06
		// only the password inside the URL was.
		for _, secret := range []string{failedURLPassword, failedToolSecret} {
			if strings.Contains(string(answer), secret) {
				t.Errorf("the client's error holds %q: %s", secret, answer)
			}
			if logs := e.logs(); strings.Contains(logs, secret) {
				t.Errorf("the log holds %q: %s", secret, around(logs, secret))
			}
		}
		if !strings.Contains(string(answer), "check the key [REDACTED]") {
			t.Errorf("the client's error does not keep the refusal's words, masked: %s", answer)
		}
		// So is a refusal sent as the stream's event, to another API's
		// call (the core's, not a front-end's).
		e.sim.Inject(qwensim.Fault{Envelope: qwensim.CodeBadRequest, Details: "refused: " + failedAsk, InStream: true})
		resp = postJSON(t, e, "/v1/messages", `{"model":"qwen3-max","max_tokens":64,"stream":true,"messages":[`+
			`{"role":"user","content":"`+failedAsk+`"},`+
			`{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"login","input":{"api_key":"`+failedToolSecret+`"}}]},`+
			`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"ok"}]}]}`, nil)
		answer, _ = io.ReadAll(resp.Body)
		if !strings.Contains(string(answer), "check the key [REDACTED]") {
			t.Errorf("the Messages call's error does not keep the refusal's words, masked: %d %s", resp.StatusCode, answer)
		}
		for _, secret := range []string{failedURLPassword, failedToolSecret} {
			if strings.Contains(string(answer), secret) {
				t.Errorf("the Messages call's error holds %q: %s", secret, answer)
			}
			if logs := e.logs(); strings.Contains(logs, secret) {
				t.Errorf("the log holds %q: %s", secret, around(logs, secret))
			}
		}
		// A call recorded without its bodies keeps its failure's message,
		// masked of its URLs' passwords too.
		e.sim.Inject(qwensim.Fault{Envelope: qwensim.CodeBadRequest, Details: "refused: " + failedAsk})
		resp = postJSON(t, e, "/v1/chat/completions", failedAskBody("qwen3-max"), map[string]string{"X-Record-Bodies": "false"})
		io.Copy(io.Discard, resp.Body)
		if row := e.lastRow(); row.OpenAIRequest.Valid || !strings.Contains(row.Error, "postgres://app:[REDACTED]@db.internal/app") {
			t.Errorf("a call recorded without bodies: %v %s", row.OpenAIRequest.Valid, row.Error)
		}
	})
}

// TestACallRefusedBeforeItsTurnWritesNoSecretInTheSessionsName: a call
// refused before its turn (its key's calls in flight at their limit) is
// recorded in the session it names while that session's first turn is
// still answered: the session is written for it then, and its name — the
// first message — held what the first turn's record masks (a password the
// message repeats outside its URL, a key a tool call's argument hid) until
// that turn ended, or for good if it never wrote again. The session is
// written without its name; the first turn names it, masked, as it ends.
func TestACallRefusedBeforeItsTurnWritesNoSecretInTheSessionsName(t *testing.T) {
	e := start(t, func(c *config.Config) { c.QwenTimeout = time.Minute })
	e.stop()
	key, _ := addLimitedKey(t, e.cfg.DatabasePath, 1)
	e.boot()
	named := map[string]string{"Authorization": "Bearer " + key, "X-Session-Id": "failed-first-turn"}

	reached := make(chan struct{}, 1)
	e.sim.Inject(qwensim.Fault{Delay: time.Hour, Reached: reached}) // the first turn waits on Qwen until its client leaves
	ctx, leave := context.WithCancel(ctxT(t))
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.app.URL()+"/v1/chat/completions", strings.NewReader(failedAskBody("qwen3-max")))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range named {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	select {
	case <-reached:
	case <-ctxT(t).Done():
		t.Fatal("the first turn never reached Qwen")
	}

	resp, body := chatCall(t, e, failedAskBody("qwen3-max"), named)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the refused call: %d %s", resp.StatusCode, body)
	}
	// Read with the first turn still in flight: not e.db(), which waits
	// for every call to end.
	name := func() string {
		if err := e.app.Recorder().Sync(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite", "file:"+e.cfg.DatabasePath+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n string
		if err := db.QueryRow(`SELECT COALESCE(first_user_message, '') FROM sessions WHERE id = 'failed-first-turn'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	checkName := func(when string) string {
		n := name()
		for _, secret := range []string{failedURLPassword, failedToolSecret} {
			if strings.Contains(n, secret) {
				t.Errorf("%s, the session's name holds %q: %q", when, secret, n)
			}
		}
		return n
	}
	checkName("with its first turn still answered")

	leave()
	if err := <-done; err == nil {
		t.Fatal("the first turn was answered")
	}
	e.sync()
	want := "connect with postgres://app:[REDACTED]@db.internal/app (password [REDACTED]) and check the key [REDACTED]"
	if n := checkName("once its first turn failed"); n != want {
		t.Errorf("the session's name: %q, want %q", n, want)
	}
	rows := e.rows()
	if len(rows) != 2 {
		t.Fatalf("%d calls recorded, want 2", len(rows))
	}
	for _, r := range rows {
		if r.SessionID != "failed-first-turn" {
			t.Errorf("call %s (%d) is recorded in session %q", r.RequestID, r.HTTPStatus, r.SessionID)
		}
	}
}

// TestASessionNamedByACallThatFindsNoAccountKeepsNoSecret: a named session
// its side call opened (no tools: OpenCode's title) is named by the next
// call's first message, its task; when that call fails before it asks —
// the session's account resting, no other able to open a chat — the
// session is written with that name, which held what the call's record
// masks (a password repeated beside its URL, a value a tool call's
// argument hid). It is masked as a call that asked masks it.
func TestASessionNamedByACallThatFindsNoAccountKeepsNoSecret(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}, {Email: bob, Password: bobPassword}},
		func(c *config.Config) { c.MaxRetries = 0 })
	named := map[string]string{"X-Session-Id": "titled-first"}
	if resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"write a title"}]}`, named); resp.StatusCode != 200 {
		t.Fatalf("the side call: %d %s", resp.StatusCode, body)
	}
	owner := e.sim.ChatAccount(e.lastRow().ChatID)
	other := map[string]string{alice: bob, bob: alice}[owner]
	if other == "" {
		t.Fatalf("the session's chat is %q's", owner)
	}
	// The session's account rests: other conversations are answered until
	// one asks it (the least recently used account takes a new one) and
	// finds it over its quota.
	e.sim.RateLimit(owner, 3)
	for i := 0; healthAccounts(t, e)[owner].State != accounts.StateRateLimited; i++ {
		if i == 3 {
			t.Fatalf("%s never rested: %+v", owner, healthAccounts(t, e)[owner])
		}
		if resp, body := chatCall(t, e, fmt.Sprintf(`{"messages":[{"role":"user","content":"another %d"}]}`, i), nil); resp.StatusCode != 200 {
			t.Fatalf("another conversation: %d %s", resp.StatusCode, body)
		}
	}
	// The other account cannot open the chat the conversation moves to.
	e.sim.Inject(qwensim.Fault{Endpoint: qwensim.EndpointNewChat, Status: http.StatusInternalServerError, Times: 5})
	body := strings.Replace(failedAskBody("qwen3-max"), `{"model"`,
		`{"tools":[{"type":"function","function":{"name":"login","parameters":{"type":"object","properties":{"api_key":{"type":"string"}}}}}],"model"`, 1)
	resp, answer := chatCall(t, e, body, named)
	if resp.StatusCode < 500 {
		t.Fatalf("the call without an account: %d %s", resp.StatusCode, answer)
	}
	e.sync()
	var name string
	if err := e.db().QueryRow(`SELECT COALESCE(first_user_message, '') FROM sessions WHERE id = 'titled-first'`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if want := "connect with postgres://app:[REDACTED]@db.internal/app (password [REDACTED]) and check the key [REDACTED]"; name != want {
		t.Errorf("the session's name: %q, want %q", name, want)
	}
	if last := e.lastRow(); last.SessionID != "titled-first" || last.Status == "success" {
		t.Errorf("the failed call: session %q, status %s", last.SessionID, last.Status)
	}
}
