package e2e

import (
	"bytes"
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
// against a canned upstream (a recorded answer, written at once), so that a
// CPU profile shows the proxy's own work and little else: with the whole
// answer (823 events) the work per event, with its first and last events
// only the work per call. It also counts the upstream connections a call
// opens (none, once the first is kept).
//
//	go test -run '^$' -bench ProxyOnly/events=3 -cpuprofile cpu.prof ./internal/e2e
func BenchmarkProxyOnly(b *testing.B) {
	b.Run("events=823", func(b *testing.B) { benchProxyOnly(b, false) })
	b.Run("events=3", func(b *testing.B) { benchProxyOnly(b, true) })
}

func benchProxyOnly(b *testing.B, short bool) {
	newChat, err := os.ReadFile("../../testdata/qwen/chats-new.json")
	if err != nil {
		b.Fatal(err)
	}
	answer, err := os.ReadFile("../../testdata/qwen/completion-stream.sse")
	if err != nil {
		b.Fatal(err)
	}
	if short { // the created event, the first word, the finished event
		events := bytes.Split(answer, []byte("\n\n"))
		answer = bytes.Join([][]byte{events[0], events[1], events[len(events)-2], nil}, []byte("\n\n"))
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
