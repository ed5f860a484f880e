package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/logtest"
	"qwenproxy/internal/qwensim"
)

// Under serve --mock-upstream, a 401 the simulator was told to give (POST
// /__sim/faults) took its cookie out, and both the client's error and the
// log's advice said to sign in to chat.qwen.ai and copy a fresh Cookie
// header: no cookie from there brings the simulator's back. They now say
// to restart the server, which is what does.
func TestTheSimulatorsRefusedCookieIsToldHowToComeBack(t *testing.T) {
	vars := map[string]string{"PORT": "0", "DATABASE_PATH": filepath.Join(t.TempDir(), "q.db")}
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
	defer func() {
		if err := a.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	a.Simulator().Inject(qwensim.Fault{Status: http.StatusUnauthorized})

	res, err := http.Post(a.URL()+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"qwen3-max","messages":[{"role":"user","content":"Hello"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	for what, said := range map[string]string{"the answer": string(body), "the log": logs.String()} {
		if !strings.Contains(said, "restart `qwenproxy serve --mock-upstream`") || strings.Contains(said, "chat.qwen.ai") ||
			strings.Contains(said, "fresh Cookie header") {
			t.Errorf("%s says\n%s", what, said)
		}
	}
}
