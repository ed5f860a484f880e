package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// The CLI's call filters had no counterpart of the history API's
// response_model: `requests ls` and `export` could not list the calls a
// model of `stats` counted when they were asked for by a variant's name.
func TestRequestsAndExportFilterByTheModelThatAnswered(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	a := startMock(t, db)
	for _, model := range []string{"qwq-32b-thinking", "qwen3-coder-plus"} {
		resp, err := http.Post(a.URL()+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", model, resp.StatusCode)
		}
	}
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	count := func(args ...string) int {
		out, errOut, code := runCLI(t, db, append([]string{"requests", "ls", "--json"}, args...)...)
		var rows []map[string]any
		if err := json.Unmarshal([]byte(out), &rows); err != nil || code != 0 {
			t.Fatalf("requests ls %v: %d %v %s%s", args, code, err, out, errOut)
		}
		return len(rows)
	}
	if n := count("--response-model", "qwq-32b"); n != 1 {
		t.Errorf("--response-model qwq-32b: %d calls, want the one asked as qwq-32b-thinking", n)
	}
	if n := count("--model", "qwq-32b"); n != 0 {
		t.Errorf("--model qwq-32b: %d calls, want none (it is the name asked for)", n)
	}
	out, errOut, code := runCLI(t, db, "export", "--response-model", "qwq-32b")
	if code != 0 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, "qwq-32b-thinking") {
		t.Errorf("export --response-model: %d %s%s", code, out, errOut)
	}
}
