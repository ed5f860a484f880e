package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// The CLI finds failed calls by why they ended, as the history API does:
// `requests ls` and `export` take --error-type (a type no call can have is
// refused, naming the types), and `stats` lists the errors by type under
// its table.
func TestCLIFindsAndCountsCallsByErrorType(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	a := startMock(t, db)
	a.Simulator().Inject(qwensim.Fault{Status: 400, Times: 1}) // Qwen refuses the request: not retried
	for _, want := range []int{http.StatusBadGateway, http.StatusOK} {
		resp, err := http.Post(a.URL()+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("call: %d, want %d", resp.StatusCode, want)
		}
	}
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows := func(args ...string) []map[string]any {
		out, errOut, code := runCLI(t, db, append([]string{"requests", "ls", "--json"}, args...)...)
		var rows []map[string]any
		if err := json.Unmarshal([]byte(out), &rows); err != nil || code != 0 {
			t.Fatalf("requests ls %v: %d %v %s%s", args, code, err, out, errOut)
		}
		return rows
	}
	failed := rows("--error-type", "upstream_error")
	if len(failed) != 1 || !strings.Contains(mustJSON(t, failed[0]), `"error_type":"upstream_error"`) {
		t.Errorf("--error-type upstream_error: %v", failed)
	}
	if n := len(rows("--error-type", "rate_limited")); n != 0 {
		t.Errorf("--error-type rate_limited: %d calls, want none", n)
	}
	out, errOut, code := runCLI(t, db, "export", "--format", "csv", "--error-type", "upstream_error")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(lines) != 2 || !strings.Contains(lines[1], ",upstream_error,") {
		t.Errorf("export --error-type: %d %s%s", code, out, errOut)
	}
	// The refusal names the flag the user typed, --error-type, not the API's
	// parameter error_type (there is no --error_type flag to correct).
	for _, cmd := range [][]string{{"requests", "ls"}, {"export"}} {
		out, errOut, code = runCLI(t, db, append(cmd, "--error-type", "timeout")...)
		if code != 1 || !strings.Contains(errOut, "--error-type: ") || strings.Contains(errOut, "--error_type") ||
			!strings.Contains(errOut, "upstream_timeout") || !strings.Contains(errOut, `"timeout"`) {
			t.Errorf("%v --error-type timeout: %d %s%s", cmd, code, out, errOut)
		}
	}
	out, errOut, code = runCLI(t, db, "stats")
	if code != 0 || !strings.Contains(out, "ERROR TYPE") || !strings.Contains(out, "upstream_error  1") {
		t.Errorf("stats: %d\n%s%s", code, out, errOut)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
