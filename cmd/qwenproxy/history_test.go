package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"qwenproxy/internal/app"
	"qwenproxy/internal/config"
)

// populate records two conversations through the real server in front of
// its simulator and returns the database path and the first session's id.
func populate(t *testing.T) (string, string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "h.db")
	a := startMock(t, db)
	session := ""
	for _, body := range []string{
		`{"model":"qwen3-max","messages":[{"role":"user","content":"first conversation"}]}`,
		`{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"second conversation"}]}`,
	} {
		resp, err := http.Post(a.URL()+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if session == "" {
			session = resp.Header.Get("X-Session-Id")
		}
	}
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db, session
}

// startMock serves on a free port, in front of the simulator, recording into
// the SQLite file db.
func startMock(t *testing.T, db string) *app.App {
	t.Helper()
	vars := map[string]string{"PORT": "0", "DATABASE_PATH": db, "LOG_LEVEL": "error"}
	cfg, err := config.Load(nil, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MockUpstream = true
	a, err := app.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func runCLI(t *testing.T, db string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := func(k string) string {
		if k == "DATABASE_PATH" {
			return db
		}
		return ""
	}
	code := run(context.Background(), args, env, &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestHistoryCommands(t *testing.T) {
	db, session := populate(t)

	out, errOut, code := runCLI(t, db, "sessions")
	if code != 0 || !strings.Contains(out, session) || !strings.Contains(out, "first conversation") || !strings.HasPrefix(out, "ID") {
		t.Fatalf("sessions: %d %s %s", code, out, errOut)
	}
	out, _, _ = runCLI(t, db, "sessions", "ls", "--json", "--search", "second")
	var sessions []map[string]any
	if err := json.Unmarshal([]byte(out), &sessions); err != nil || len(sessions) != 1 || sessions[0]["first_user_message"] != "second conversation" {
		t.Fatalf("sessions --json: %v %s", err, out)
	}
	out, _, code = runCLI(t, db, "sessions", "show", session)
	if code != 0 || !strings.Contains(out, "calls     1") || !strings.Contains(out, "success") {
		t.Fatalf("sessions show: %s", out)
	}

	// The table says which API each call came through (it had no path).
	out, _, code = runCLI(t, db, "requests")
	if code != 0 || !strings.HasPrefix(out, "ID") || !strings.Contains(out, "PATH") || strings.Count(out, "/v1/chat/completions") != 2 {
		t.Fatalf("requests: %d %s", code, out)
	}
	out, _, code = runCLI(t, db, "requests", "ls", "--json", "--model", "qwen3-coder-plus")
	var reqs []map[string]any
	if err := json.Unmarshal([]byte(out), &reqs); err != nil || code != 0 || len(reqs) != 1 || reqs[0]["stream"] != true {
		t.Fatalf("requests --json: %v %s", err, out)
	}
	out, _, code = runCLI(t, db, "requests", "show", reqs[0]["request_id"].(string))
	var one map[string]any
	if err := json.Unmarshal([]byte(out), &one); err != nil || code != 0 || one["response"] == nil || one["openai_request"] == nil {
		t.Fatalf("requests show: %v %s", err, out)
	}
	// By the id its client was answered with, as the history API finds it:
	// it was "not found".
	uuid := reqs[0]["request_id"].(string)
	for _, id := range []string{"chatcmpl-" + uuid, "msg_" + strings.ReplaceAll(uuid, "-", "")} {
		out, errOut, code = runCLI(t, db, "requests", "show", id)
		if err := json.Unmarshal([]byte(out), &one); err != nil || code != 0 || one["request_id"] != uuid {
			t.Fatalf("requests show %s: %d %v %s %s", id, code, err, out, errOut)
		}
	}

	out, _, code = runCLI(t, db, "stats", "--bucket", "day")
	if code != 0 || !strings.Contains(out, "model qwen3-max") || !strings.Contains(out, "model qwen3-coder-plus") {
		t.Fatalf("stats: %s", out)
	}
	// Buckets shown as the tables show every time, not in the API's RFC 3339.
	if strings.Contains(out, "T00:00:00") {
		t.Fatalf("stats --bucket day shows its buckets in another format:\n%s", out)
	}
	// Durations to a tenth of a millisecond, as the first token: a proxy's
	// calls can take under one, which whole milliseconds show as 0 or 1.
	if !regexp.MustCompile(`(?m)^all .* \d+\.\d +\d+\.\d +\d+\.\d +\d+\.\d$`).MatchString(out) {
		t.Fatalf("stats: durations not to a tenth of a millisecond:\n%s", out)
	}
	out, _, _ = runCLI(t, db, "stats", "--json")
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); err != nil || st["statistics"].(map[string]any)["total_responses"] != float64(2) {
		t.Fatalf("stats --json: %v %s", err, out)
	}

	file := filepath.Join(t.TempDir(), "calls.csv")
	if _, errOut, code := runCLI(t, db, "export", "--format", "csv", "--output", file); code != 0 {
		t.Fatalf("export: %s", errOut)
	}
	f, _ := os.Open(file)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 3 || rows[0][0] != "id" {
		t.Fatalf("csv: %v %v", err, rows)
	}
	out, _, _ = runCLI(t, db, "export")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[0], `"qwen_request"`) {
		t.Fatalf("jsonl export: %s", out)
	}

	if _, errOut, code := runCLI(t, db, "sessions", "rm", session); code != 0 {
		t.Fatalf("sessions rm: %s", errOut)
	}
	if _, errOut, code := runCLI(t, db, "sessions", "show", session); code != 1 || !strings.Contains(errOut, "not found") {
		t.Fatalf("removed session: %d %s", code, errOut)
	}
	if out, _, _ := runCLI(t, db, "requests", "--json"); strings.Count(out, `"request_id"`) != 1 {
		t.Fatalf("removing a session left its calls: %s", out)
	}

	out, _, code = runCLI(t, db, "prune", "--older-than", "1h", "--json")
	if code != 0 || !strings.Contains(out, `"deleted": 0`) {
		t.Fatalf("prune 1h: %s", out)
	}
	// Deleting everything needs --yes where no one can be asked.
	if _, errOut, code := runCLI(t, db, "prune", "--older-than", "0s"); code != 1 || !strings.Contains(errOut, "every recorded call (1); pass --yes") {
		t.Fatalf("prune 0s without --yes: %d %s", code, errOut)
	}
	out, _, code = runCLI(t, db, "prune", "--older-than", "0s", "--yes")
	if code != 0 || !strings.Contains(out, "deleted 1 call ") {
		t.Fatalf("prune 0s: %s", out)
	}
	if out, _, _ := runCLI(t, db, "sessions", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("sessions left after pruning every call: %s", out)
	}
}

func TestHistoryCommandErrors(t *testing.T) {
	db, _ := populate(t)
	for _, args := range [][]string{
		{"sessions", "show"},
		{"sessions", "frob"},
		{"requests", "show", "999999"},
		{"prune"},
		{"prune", "--older-than", "soon"},
		{"stats", "--bucket", "week"},
		{"export", "--format", "xml"},
		{"requests", "--status", "meh"},
	} {
		if _, errOut, code := runCLI(t, db, args...); code == 0 || errOut == "" {
			t.Errorf("%v: exit %d", args, code)
		}
	}
	if _, errOut, code := runCLI(t, filepath.Join(t.TempDir(), "missing.db"), "sessions"); code != 1 || !strings.Contains(errOut, "no database") {
		t.Errorf("missing database: %d %s", code, errOut)
	}
}

func TestKeysCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	out, errOut, code := runCLI(t, db, "keys", "add", "--name", "ci", "--admin", "--json")
	var added map[string]any
	if err := json.Unmarshal([]byte(out), &added); err != nil || code != 0 || !strings.HasPrefix(added["key"].(string), "qp-") {
		t.Fatalf("keys add: %d %s %s", code, out, errOut)
	}
	out, _, _ = runCLI(t, db, "keys", "ls")
	if !strings.Contains(out, added["id"].(string)) || !strings.Contains(out, "ci") || strings.Contains(out, added["key"].(string)) {
		t.Fatalf("keys ls shows %s", out)
	}
	if _, errOut, code := runCLI(t, db, "keys", "rm", added["id"].(string)); code != 0 {
		t.Fatalf("keys rm: %s", errOut)
	}
	if out, _, _ := runCLI(t, db, "keys", "ls", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("after rm: %s", out)
	}
}

func TestCredentialsCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	env := func(k string) string {
		if k == "DATABASE_PATH" {
			return db
		}
		return ""
	}
	jwt := "h.eyJleHAiOjE3OTkwMDAwMDB9.s" // {"exp":1799000000}
	var out, errOut bytes.Buffer
	code := runWithInput(context.Background(), []string{"credentials", "set"}, env,
		strings.NewReader("umid-secret-value\nacw_tc=1; token="+jwt+"\n"), &out, &errOut)
	if code != 0 || strings.Contains(out.String()+errOut.String(), "umid-secret-value") || !strings.Contains(out.String(), "expires") {
		t.Fatalf("set: %d %s %s", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := runWithInput(context.Background(), []string{"credentials", "--json"}, env, strings.NewReader(""), &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), `"stored": true`) || !strings.Contains(out.String(), "2027-01-03T18:13:20Z") || strings.Contains(out.String(), "acw_tc") {
		t.Fatalf("status: %s", out.String())
	}
	if code := runWithInput(context.Background(), []string{"credentials", "set"}, env, strings.NewReader("only-one-line\n"), &out, &errOut); code != 1 {
		t.Fatal("set with one line that is no logged-in Cookie header accepted")
	}
	// A logged-in browser's Cookie header alone is enough.
	out.Reset()
	if code := runWithInput(context.Background(), []string{"credentials", "set"}, env, strings.NewReader("acw_tc=2; token="+jwt), &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "normal mode") || strings.Contains(out.String(), "acw_tc") {
		t.Fatalf("set with the cookie alone: %d %s %s", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := runWithInput(context.Background(), []string{"credentials", "--json"}, env, strings.NewReader(""), &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), `"mode": "normal"`) {
		t.Fatalf("status after the cookie alone: %s", out.String())
	}
	out.Reset()
	runWithInput(context.Background(), []string{"credentials", "clear"}, env, strings.NewReader(""), &out, &errOut)
	out.Reset()
	runWithInput(context.Background(), []string{"credentials"}, env, strings.NewReader(""), &out, &errOut)
	if !strings.Contains(out.String(), "no stored credentials") {
		t.Fatalf("after clear: %s", out.String())
	}
	// Without stored ones, the environment's are described.
	out.Reset()
	withEnv := func(k string) string {
		if k == "QWEN_COOKIES" {
			return "acw_tc=3; token=" + jwt
		}
		return env(k)
	}
	runWithInput(context.Background(), []string{"credentials"}, withEnv, strings.NewReader(""), &out, &errOut)
	if !strings.Contains(out.String(), "environment's are used (normal mode); the login token expires") || strings.Contains(out.String(), "acw_tc") {
		t.Fatalf("environment: %s", out.String())
	}
}
