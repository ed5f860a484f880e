package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/recorder"
	"qwenproxy/internal/store/storetest"
)

// refusingWriter is a database that takes no batch: a recorder in front of
// it spools everything.
type refusingWriter struct{}

func (refusingWriter) WriteBatch(context.Context, qp.Batch) error { return os.ErrPermission }

// spoolSecret records, through a recorder whose database is away, a call
// whose request holds secret: it waits in the spool at path.
func spoolSecret(t *testing.T, path, secret string) {
	t.Helper()
	r, err := recorder.New(refusingWriter{}, slog.New(slog.DiscardHandler), recorder.Options{SpoolPath: path, Linger: -1, WriteRetries: 1, RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	at := time.UnixMilli(time.Now().UnixMilli())
	r.Record(qp.Exchange{
		Request: qp.Request{RequestID: "req-spooled", Timestamp: at, Method: "POST", Path: "/v1/chat/completions", Model: "qwen3-max",
			OpenAIRequest: []byte(`{"messages":[{"role":"user","content":"my key is ` + secret + `"}]}`)},
		Response: qp.Response{ResponseID: "resp-spooled", Timestamp: at.Add(time.Second), Status: qp.StatusSuccess, HTTPStatus: 200,
			OpenAIResponse: []byte(`{"ok":true}`)},
	})
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.Spooled != 1 {
		t.Fatalf("recorder stats %+v: the call was not spooled", st)
	}
}

// `history redact` masks the calls still in this machine's spool (the
// database was away when they were recorded), which the next start writes
// to the database: before, they reached it with their secrets after the
// history was said to be scrubbed. A spool a running server holds is left
// as it is, with a warning that says so and what to do.
func TestHistoryRedactReachesTheSpool(t *testing.T) {
	ctx := context.Background()
	const secret = "a-spooled-Secret-99"
	dbURL := storetest.URL(t, "sqlite")
	st := storetest.Open(t, dbURL)
	spool := dbURL + ".spool" // the spool a server on --database-path keeps
	spoolSecret(t, spool, secret)
	vars := historyRedactEnv(t)
	redactRun := func() (map[string]any, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := runWithInput(ctx, append([]string{"history", "redact", "--json"}, databaseFlag(dbURL)...), func(k string) string { return vars[k] },
			strings.NewReader(secret+"\n"), &out, &errOut); code != 0 {
			t.Fatalf("history redact: exit %d: %s %s", code, out.String(), errOut.String())
		}
		var report map[string]any
		if err := json.Unmarshal(out.Bytes(), &report); err != nil {
			t.Fatalf("%v: %s", err, out.String())
		}
		if strings.Contains(out.String()+errOut.String(), secret) {
			t.Errorf("printed the secret: %s %s", out.String(), errOut.String())
		}
		return report, errOut.String()
	}

	// A server holds the spool: left, and said.
	before, err := os.ReadFile(spool)
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(spool+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	report, stderr := redactRun()
	if report["spool_held"] != true || !strings.Contains(stderr, "running server holds the spool") || !strings.Contains(stderr, "run this command again") {
		t.Errorf("with the spool held: %v, stderr %q", report, stderr)
	}
	if after, _ := os.ReadFile(spool); !bytes.Equal(after, before) {
		t.Error("a held spool was rewritten")
	}
	lock.Close()

	// No server: masked, and so written to the database by the replay.
	report, _ = redactRun()
	if report["spool_held"] != false || report["spool_records"] != 1.0 || report["spool_rewritten"] != 1.0 {
		t.Errorf("with no server: %v", report)
	}
	if _, err := os.Stat(spool + ".lock"); err != nil {
		t.Errorf("the lock file a test made is gone: %v", err)
	}
	r, err := recorder.New(st, slog.New(slog.DiscardHandler), recorder.Options{SpoolPath: spool, Linger: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	history := readHistoryOf(t, ctx, dbURL, vars, "req-spooled")
	if strings.Contains(history, secret) || !strings.Contains(history, "my key is [REDACTED]") {
		t.Errorf("the spooled call, written after history redact: %s", history)
	}
}

// readHistoryOf is `requests show` of one call.
func readHistoryOf(t *testing.T, ctx context.Context, dbURL string, vars map[string]string, id string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := runWithInput(ctx, append([]string{"requests", "show", id, "--json"}, databaseFlag(dbURL)...), func(k string) string { return vars[k] },
		strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("requests show: exit %d: %s", code, errOut.String())
	}
	return out.String()
}
