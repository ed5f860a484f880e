package app

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/logtest"
)

// QWEN_COOKIES without its token=… (copied from a signed-out browser, or
// from the wrong request) and without QWEN_TOKEN cannot sign a call: the
// server said nothing of it, and every call was told to set QWEN_COOKIES,
// which was set. It now says at start why they are not used, without
// quoting them, naming the one that is set (it said "QWEN_COOKIES and
// QWEN_TOKEN are set" of either alone).
func TestCredentialsThatCannotSignACallAreSaidAtStart(t *testing.T) {
	for _, c := range []struct {
		vars map[string]string
		says string
	}{
		{map[string]string{"QWEN_COOKIES": "acw_tc=c00k1e; ssxmod=2"}, "QWEN_COOKIES is set (QWEN_TOKEN is not) but not used"},
		{map[string]string{"QWEN_TOKEN": "T2gAumid"}, "QWEN_TOKEN is set (QWEN_COOKIES is not) but not used"},
	} {
		vars := c.vars
		out := startLog(t, vars, nil)
		if !strings.Contains(out, c.says) || strings.Contains(out, " and QWEN_TOKEN are set") || !strings.Contains(out, "guest use needs") ||
			strings.Contains(out, "c00k1e") || strings.Contains(out, "T2gAumid") {
			t.Errorf("%v: the log says\n%s", vars, out)
		}
	}
}

// startLog starts the app on a fresh database with the variables vars
// (edit, when given, adjusts the loaded configuration), stops it, and
// returns what it logged.
func startLog(t *testing.T, vars map[string]string, edit func(*config.Config)) string {
	t.Helper()
	vars["PORT"], vars["DATABASE_PATH"] = "0", filepath.Join(t.TempDir(), "q.db")
	cfg, err := config.Load(nil, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(cfg)
	}
	var logs logtest.Buffer
	a, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return logs.String()
}
