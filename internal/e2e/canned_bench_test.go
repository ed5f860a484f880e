package e2e

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"qwenproxy/internal/benchcpu"
	"qwenproxy/internal/benchfloor"
	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// BenchmarkProxyOnly is a streamed chat call through the whole server
// against a canned upstream (a recorded answer, written at once), beside the
// same call through the floor (internal/benchfloor), so that a CPU profile
// shows the proxy's own work and little else, and the two cpu-µs/op of one
// run give the proxy's CPU per call as a ratio to the floor's without the
// simulator's cost in both. With the whole answer (823 events) it is the
// work per event, with its first and last events only the work per call.
// It also reports the time to the first content chunk (ttft-µs: on the
// critical path, the proxy's own work before the first token) and counts
// the upstream connections a call opens (none, once the first is kept).
// The ratios are the two targets' figures divided.
//
//	go test -run '^$' -bench ProxyOnly -benchtime 3000x ./internal/e2e
//	go test -run '^$' -bench ProxyOnly/events=3/qwenproxy -cpuprofile cpu.prof ./internal/e2e
func BenchmarkProxyOnly(b *testing.B) {
	for _, events := range []string{"823", "3"} {
		for _, target := range []string{"floor", "qwenproxy"} {
			b.Run("events="+events+"/"+target, func(b *testing.B) { benchProxyOnly(b, events == "3", target == "floor") })
		}
	}
}

func benchProxyOnly(b *testing.B, short, floor bool) {
	upstream, conns := cannedUpstream(b, cannedAnswer(b, short))
	url := chatCompletionsOf(b, upstream.URL, floor)
	client := &http.Client{}
	defer benchcpu.Report(b)()
	var ttft time.Duration
	for b.Loop() {
		ttft += firstContent(b, client, url)
	}
	b.ReportMetric(float64(ttft.Microseconds())/float64(b.N), "ttft-µs")
	b.ReportMetric(float64(conns.Load())/float64(b.N), "upstream-conns/op")
}

// chatCompletionsOf is the chat completions URL of a benchmark's target in
// front of upstream: the floor, or the whole server as served (SQLite,
// logging at info), stopped when the benchmark ends.
func chatCompletionsOf(b *testing.B, upstream string, floor bool) string {
	if floor {
		f := httptest.NewServer(&benchfloor.Floor{Upstream: upstream, Client: &http.Client{}})
		b.Cleanup(f.Close)
		return f.URL + "/v1/chat/completions"
	}
	e := startOnWith(b, "sqlite", qwensim.Options{}, func(c *config.Config) {
		c.QwenBaseURL, c.LogLevel = upstream, "info" // as served
	})
	return e.app.URL() + "/v1/chat/completions"
}

// firstContent makes one streamed call, reads it to its end and returns
// when its first content chunk arrived.
func firstContent(b *testing.B, client *http.Client, url string) time.Duration {
	start := time.Now()
	resp, err := client.Post(url, "application/json", strings.NewReader(`{"model":"qwen3-max","stream":true,"messages":[{"role":"user","content":"benchmark"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatal(resp.Status)
	}
	var ttft time.Duration
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadSlice('\n')
		if ttft == 0 && bytes.Contains(line, []byte(`"delta":{"content":"`)) {
			ttft = time.Since(start)
		}
		if err == io.EOF {
			break
		}
		if err != nil && err != bufio.ErrBufferFull {
			b.Fatal(err)
		}
	}
	if ttft == 0 {
		b.Fatal("no content in the answer")
	}
	return ttft
}

// recordedAnswer is Qwen's recorded streamed answer (823 events).
func recordedAnswer(b *testing.B) []byte {
	answer, err := os.ReadFile("../../testdata/qwen/completion-stream.sse")
	if err != nil {
		b.Fatal(err)
	}
	return answer
}

// cannedAnswer is the recorded answer, or with short its created event,
// first word and finished event only: the work per call without the work
// per event.
func cannedAnswer(b *testing.B, short bool) []byte {
	answer := recordedAnswer(b)
	if short {
		events := bytes.Split(answer, []byte("\n\n"))
		answer = bytes.Join([][]byte{events[0], events[1], events[len(events)-2], nil}, []byte("\n\n"))
	}
	return answer
}

// cannedUpstream answers like Qwen at once, from recordings: the model list,
// a new chat, and answer to every completion, written whole. It reads and
// drops what it is sent, and counts the connections opened to it. seen, when
// given, is told of each new chat and completion: its path, when it arrived
// and when its answer was written.
func cannedUpstream(b *testing.B, answer []byte, seen ...func(path string, arrived, answered time.Time)) (*httptest.Server, *atomic.Int64) {
	models, err := os.ReadFile("../../testdata/qwen/models.json")
	if err != nil {
		b.Fatal(err)
	}
	newChat, err := os.ReadFile("../../testdata/qwen/chats-new.json")
	if err != nil {
		b.Fatal(err)
	}
	upstream := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived := time.Now()
		io.Copy(io.Discard, r.Body)
		switch {
		case strings.Contains(r.URL.Path, "/models"):
			w.Header().Set("Content-Type", "application/json")
			w.Write(models)
			return
		case strings.HasSuffix(r.URL.Path, "/chats/new"):
			w.Header().Set("Content-Type", "application/json")
			w.Write(newChat)
		default:
			w.Header().Set("Content-Type", "text/event-stream")
			w.Write(answer)
		}
		if len(seen) > 0 {
			w.(http.Flusher).Flush()
			seen[0](r.URL.Path, arrived, time.Now())
		}
	}))
	conns := &atomic.Int64{}
	upstream.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	upstream.Start()
	b.Cleanup(upstream.Close)
	return upstream, conns
}
