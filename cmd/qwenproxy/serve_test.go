package main

import (
	"database/sql"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// TestServeBinary builds the real binary, runs `serve --mock-upstream`, makes
// a call, stops it with SIGTERM and checks that the call was recorded.
func TestServeBinary(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "qwenproxy.db")
	cmd, addr := startBinary(t, buildBinary(t), db)

	resp, err := http.Get("http://" + addr + "/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Post("http://"+addr+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"qwen3-max","messages":[{"role":"user","content":"hello binary"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `You said: \"hello binary\".`) {
		t.Fatalf("chat: %d %s", resp.StatusCode, body)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var requests, responses int
	if err := conn.QueryRow(`SELECT (SELECT COUNT(*) FROM requests), (SELECT COUNT(*) FROM responses WHERE status = 'success')`).Scan(&requests, &responses); err != nil {
		t.Fatal(err)
	}
	if requests != 1 || responses != 1 {
		t.Fatalf("%d requests, %d responses recorded", requests, responses)
	}
}
