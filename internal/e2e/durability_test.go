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

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// Issue 13, item 16: a call cut because the server stops is recorded as
// such (shutting_down), not as a client that went away.
func TestCallCutByShutdownIsRecordedAsShutdown(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{StallAfter: 2})
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), chatParams(openai.UserMessage("one two three four")))
	if !stream.Next() {
		t.Fatalf("no first chunk: %v", stream.Err())
	}
	// The stream is open and Qwen silent: shutdown's grace ends first.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	e.app.Shutdown(ctx)
	e.app = nil
	for stream.Next() {
	}
	// The client is told, as the record says (the connection was closed
	// under it, mid-stream, without an error event).
	if err := stream.Err(); err == nil || !strings.Contains(err.Error(), "shutting down") {
		t.Errorf("the cut stream ended with %v, want the shutdown's error event", err)
	}
	db, err := sql.Open("sqlite", "file:"+e.cfg.DatabasePath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var errorType, message string
	if err := db.QueryRow(`SELECT error_type, error FROM responses`).Scan(&errorType, &message); err != nil {
		t.Fatal(err)
	}
	if errorType != "shutting_down" || !strings.Contains(message, "shutting down") {
		t.Fatalf("recorded %q %q", errorType, message)
	}
}

// A call cut at the shutdown deadline before its answer began gets the 503
// its record says (it got an empty reply: the connection closed first).
func TestCallCutByShutdownBeforeItsAnswerIsAnswered503(t *testing.T) {
	e := start(t, nil)
	reached := make(chan struct{}, 1)
	e.sim.Inject(qwensim.Fault{Delay: time.Hour, Reached: reached})
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	url := e.app.URL() + "/v1/chat/completions"
	go func() {
		resp, err := http.Post(url, "application/json", strings.NewReader(`{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			done <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{resp.StatusCode, string(b), err}
	}()
	<-reached // the call waits on Qwen
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	e.app.Shutdown(ctx)
	e.app = nil
	r := <-done
	if r.err != nil || r.status != 503 || !strings.Contains(r.body, `"shutting_down"`) {
		t.Fatalf("the cut call got %d %q (%v), want 503 shutting_down", r.status, r.body, r.err)
	}
}

// A call the database fails (PostgreSQL unreachable: the session's lock is
// taken there) is answered 503 database_unavailable, in every client API's
// envelope, not 500 internal_error; and the log names the cause — once
// while the fault lasts, not for every call (it was nowhere, at any level).
func TestUnreachableDatabaseIs503WithItsCauseLogged(t *testing.T) {
	e, db := startBehindRelay(t, nil)
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("before"))); err != nil {
		t.Fatal(err)
	}
	db.cut()
	for _, c := range []struct{ path, body, want string }{
		{"/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`, `"code":"database_unavailable"`},
		{"/v1/messages", `{"model":"claude-x","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`, `"type":"overloaded_error"`},
		{"/v1/responses", `{"model":"qwen3-max","input":"hi"}`, `"code":"database_unavailable"`},
	} {
		resp := postJSON(t, e, c.path, c.body, nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), c.want) {
			t.Errorf("%s with the database gone: %d %s", c.path, resp.StatusCode, b)
		}
	}
	logs := e.logs()
	if n := strings.Count(logs, `msg="call failed in the proxy"`); n != 1 || !strings.Contains(logs, "error_type=database_unavailable") {
		t.Errorf("the failed calls' cause logged %d times, want once:\n%s", n, logs)
	}
}

// A PostgreSQL that accepts connections and never answers (hung, or behind
// a proxy whose backend is gone) fails a call as database_unavailable once
// the connection's time is up, instead of holding it as long as its client
// waits (minutes): a connect timeout bounds every new connection (10 s by
// default; connect_timeout=1 here).
func TestHungDatabaseIs503InTime(t *testing.T) {
	e, db := startBehindRelay(t, map[string]string{"connect_timeout": "1"})
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("before"))); err != nil {
		t.Fatal(err)
	}
	db.hang()
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), `"database_unavailable"`) {
		t.Fatalf("a call with the database hung: %d %s\n%s", resp.StatusCode, b, e.logs())
	}
}

// Issue 13, item 2 on PostgreSQL: the database's schema dropped under a
// running server. Calls go on, health says so, the records wait in the spool
// and reach the database once it is back.
func TestPostgresDroppedSchemaKeepsCalls(t *testing.T) {
	e := startOn(t, "postgres", nil)
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("before the drop"))); err != nil {
		t.Fatal(err)
	}
	db := e.db()
	var schema string
	if err := db.QueryRow(`SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
		t.Fatal(err)
	}
	const calls = 5
	for i := range calls {
		if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("after the drop"))); err != nil {
			t.Fatalf("call %d with the schema gone: %v", i, err)
		}
	}
	if err := e.app.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if st := e.app.Recorder().Stats(); st.SpoolBytes == 0 || st.Dropped != 0 {
		t.Fatalf("with the schema gone: %+v", st)
	}
	if code, body := getJSON(t, e, "GET", "/health/ready"); code != 503 || !strings.Contains(fmt.Sprint(body["checks"]), "unavailable") {
		t.Fatalf("ready with the schema gone: %d %v", code, body)
	}
	// The database is back: the operator recreates it; a restart migrates.
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	e.restart()
	if n := e.count(`SELECT COUNT(*) FROM responses WHERE status = 'success'`); n != calls {
		t.Fatalf("%d calls stored, want the %d made while the schema was gone", n, calls)
	}
}

// Issue 13, item 3: with RECORDER_SYNC a client holding a call's final bytes
// means its record is already in the database (or the spool) — in every
// client API, whole or streamed. The database is read directly, without
// waiting for the recorder.
func TestRecorderSyncRecordsBeforeTheFinalBytes(t *testing.T) {
	e := start(t, func(c *config.Config) { c.RecorderSync = true })
	db, err := sql.Open("sqlite", "file:"+e.cfg.DatabasePath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"whole"}]}`},
		{"/v1/chat/completions", `{"model":"qwen3-max","stream":true,"messages":[{"role":"user","content":"streamed"}]}`},
		{"/v1/messages", `{"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":"whole"}]}`},
		{"/v1/messages", `{"model":"claude-x","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"streamed"}]}`},
		{"/v1/responses", `{"model":"gpt-5","input":"whole"}`},
		{"/v1/responses", `{"model":"gpt-5","stream":true,"input":"streamed"}`},
	} {
		resp := postJSON(t, e, tc.path, tc.body, nil)
		if _, err := io.ReadAll(resp.Body); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", tc.path, resp.StatusCode, err)
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM responses r JOIN requests q ON r.request_id = q.id WHERE q.request_id = ?`,
			resp.Header.Get("X-Request-Id")).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%s %s: the client had the answer before its record was stored (%d rows, %v)", tc.path, tc.body, n, err)
		}
	}
}
