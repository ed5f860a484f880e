package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// A variable meant for a setting but misspelt is warned of, by name and
// never by value: API_KEY=… (for API_KEYS) left the proxy open to anyone,
// QWEN_COOKIE=… (for QWEN_COOKIES) left it without credentials, without a
// word. serve logs it in its log's format, the other commands say it on
// stderr.
func TestAMisspeltVariableIsWarnedOf(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	vars := map[string]string{"DATABASE_PATH": db, "PORT": "0", "LOG_FORMAT": "json", "API_KEY": "sk-secret-value", "QWEN_COOKIE": "token=secret-cookie"}
	environ := func() []string {
		var kv []string
		for k, v := range vars {
			kv = append(kv, k+"="+v)
		}
		return kv
	}
	run := func(ctx context.Context, args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := runEnv(ctx, args, env{getenv: func(k string) string { return vars[k] }, environ: environ, stdin: strings.NewReader(""), stdout: &out, stderr: &errOut})
		return code, errOut.String()
	}
	// Stopped before it starts: it fails opening the database (exit 1),
	// after what it logs first.
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	code, log := run(stopped, "serve", "--mock-upstream")
	if code != 1 || !strings.Contains(log, `"variable":"API_KEY","did_you_mean":"API_KEYS"`) || !strings.Contains(log, `"variable":"QWEN_COOKIE","did_you_mean":"QWEN_COOKIES"`) {
		t.Errorf("serve: exit %d, log:\n%s", code, log)
	}
	if code, errOut := run(context.Background(), "migrate", "up"); code != 0 {
		t.Fatalf("migrate up: exit %d, %s", code, errOut)
	}
	code, errOut := run(context.Background(), "stats")
	if code != 0 || !strings.Contains(errOut, "qwenproxy stats: warning: API_KEY is set but is not a qwenproxy setting (did you mean API_KEYS?)") ||
		!strings.Contains(errOut, "QWEN_COOKIE is set but is not a qwenproxy setting (did you mean QWEN_COOKIES?)") {
		t.Errorf("stats: exit %d, %q", code, errOut)
	}
	for _, said := range []string{log, errOut} {
		if strings.Contains(said, "secret") {
			t.Errorf("a value was shown: %s", said)
		}
	}
	delete(vars, "API_KEY")
	delete(vars, "QWEN_COOKIE")
	if code, errOut := run(context.Background(), "stats"); code != 0 || errOut != "" {
		t.Errorf("stats with no misspelling: exit %d, %q", code, errOut)
	}
}

// A mistyped flag is refused (exit 2) with the flag it was one or two
// edits from: under the list of every flag, "flag provided but not defined:
// -sesion" left the reader to find --session; a flag like no other gets no
// guess.
func TestAMistypedFlagNamesTheFlagMeant(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"stats", "--sesion", "s"}, "did you mean --session?"},
		{[]string{"prune", "--older_than", "3d"}, "did you mean --older-than?"},
		{[]string{"export", "--database_path", "x.db"}, "did you mean --database-path?"},
		{[]string{"sessions", "show", "s-1", "--reasonning"}, "did you mean --reasoning?"},
		{[]string{"serve", "--prot", "3000"}, "did you mean --port?"},
		{[]string{"serve", "--mock"}, "did you mean --mock-upstream?"},
		{[]string{"export", "--no-bod"}, "did you mean --no-bodies?"},
		{[]string{"sessions", "--s", "x"}, ""}, // begins --search and --start: no guess
		{[]string{"requests", "--zzzzzzzz"}, ""},
	} {
		_, errOut, code := runNoDB(t, tc.args...)
		if code != 2 || !strings.Contains(errOut, "flag provided but not defined") ||
			tc.want != "" && !strings.HasSuffix(errOut, tc.want+"\n") || tc.want == "" && strings.Contains(errOut, "did you mean") {
			t.Errorf("%v: exit %d, %q", tc.args, code, errOut)
		}
	}
}
