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

// --mock-upstream with --qwen-base-url serves the built-in simulator and
// says that the URL is not used: it was dropped without a word, and an
// operator pointing a second instance at a first one's simulator got a
// simulator of its own.
func TestMockUpstreamSaysItDoesNotUseTheBaseURL(t *testing.T) {
	for _, tc := range []struct {
		baseURL string
		warned  bool
	}{{"http://127.0.0.1:9", true}, {"", false}} {
		vars := map[string]string{"PORT": "0", "DATABASE_PATH": filepath.Join(t.TempDir(), "q.db"), "QWEN_BASE_URL": tc.baseURL}
		cfg, err := config.Load(nil, func(k string) string { return vars[k] }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		cfg.MockUpstream = true
		var logs logtest.Buffer
		a, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		out := logs.String()
		if strings.Contains(out, "QWEN_BASE_URL (--qwen-base-url) is not used") != tc.warned || !strings.Contains(out, "using the built-in Qwen simulator") {
			t.Errorf("QWEN_BASE_URL %q: the log says\n%s", tc.baseURL, out)
		}
	}
}
