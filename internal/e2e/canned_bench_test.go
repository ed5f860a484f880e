package e2e

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// BenchmarkProxyOnly is a streamed chat call through the whole server
// against a canned upstream (the recorded answer, written at once), so that
// a CPU profile shows the proxy's own work and little else.
//
//	go test -run '^$' -bench ProxyOnly -cpuprofile cpu.prof ./internal/e2e
func BenchmarkProxyOnly(b *testing.B) {
	newChat, err := os.ReadFile("../../testdata/qwen/chats-new.json")
	if err != nil {
		b.Fatal(err)
	}
	answer, err := os.ReadFile("../../testdata/qwen/completion-stream.sse")
	if err != nil {
		b.Fatal(err)
	}
	models, err := os.ReadFile("../../testdata/qwen/models.json")
	if err != nil {
		b.Fatal(err)
	}
	upstream := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if strings.Contains(r.URL.Path, "/models") {
			w.Header().Set("Content-Type", "application/json")
			w.Write(models)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/chats/new") {
			w.Header().Set("Content-Type", "application/json")
			w.Write(newChat)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(answer)
	}))
	var conns atomic.Int64
	upstream.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	upstream.Start()
	defer upstream.Close()
	e := startOnWith(b, "sqlite", qwensim.Options{}, func(c *config.Config) { c.QwenBaseURL = upstream.URL })
	client := &http.Client{}
	defer reportCPU(b)()
	for b.Loop() {
		postOK(b, client, e.app.URL()+"/v1/chat/completions", `{"model":"qwen3-max","stream":true,"messages":[{"role":"user","content":"benchmark"}]}`)
	}
	b.ReportMetric(float64(conns.Load())/float64(b.N), "upstream-conns/op")
}
