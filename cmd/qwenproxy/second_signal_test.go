package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A second SIGTERM (Ctrl-C again, a service manager stopping twice) was
// ignored: the server went on waiting for the calls still running, up to
// SHUTDOWN_TIMEOUT, with nothing said, and the operator's next step was
// kill -9, which loses the queued records. It cuts those calls at once, as
// the deadline would: each is recorded as shutting_down, and the server
// writes its records and exits.
func TestASecondSignalCutsTheCallsStillRunning(t *testing.T) {
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "qwenproxy.db")
	cmd := exec.Command(bin, "serve", "--port", "0", "--mock-upstream", "--database-path", db)
	cmd.Env = append(os.Environ(), "LOG_FORMAT=json", "QWEN_TOKEN=", "QWEN_COOKIES=", "SHUTDOWN_TIMEOUT=600000")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	type entry struct{ Msg, Addr, URL string }
	logged := make(chan entry, 100)
	go func() {
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			var e entry
			if json.Unmarshal(lines.Bytes(), &e) == nil {
				logged <- e
			}
		}
		close(logged)
	}()
	await := func(msg string) entry {
		t.Helper()
		for e := range logged {
			if e.Msg == msg {
				return e
			}
		}
		t.Fatalf("the server ended without logging %q", msg)
		return entry{}
	}
	sim := await("using the built-in Qwen simulator").URL
	addr := await("listening").Addr

	resp, err := http.Post(sim+"/__sim/faults", "application/json", strings.NewReader(`[{"stall_after": 1}]`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	stream, err := http.Post("http://"+addr+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"qwen3-max","stream":true,"messages":[{"role":"user","content":"a long answer"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	events := bufio.NewScanner(stream.Body)
	for events.Scan() && !strings.Contains(events.Text(), `"content"`) { // the answer has begun, then stalls
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	await("shutting down")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // far short of SHUTDOWN_TIMEOUT's 10 minutes
	defer cancel()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after the second SIGTERM: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the second SIGTERM did not cut the running call: the server still waits for it")
	}
	var rest strings.Builder
	for events.Scan() {
		rest.WriteString(events.Text())
	}
	if !strings.Contains(rest.String(), "shutting down") {
		t.Errorf("the cut stream did not tell its client why: %q", rest.String())
	}
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var calls int
	var errorType string
	if err := conn.QueryRow(`SELECT COUNT(*), COALESCE(MAX(error_type), '') FROM responses`).Scan(&calls, &errorType); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || errorType != "shutting_down" {
		t.Fatalf("recorded %d calls, error_type %q; want the cut call, shutting_down", calls, errorType)
	}
}
