package e2e

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"qwenproxy/internal/benchcpu"
	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/storetest"
)

// BenchmarkChatCall is one non-streamed call through the whole server, in
// process, on each backend, for profiling (-cpuprofile) and for what sharing
// a PostgreSQL database costs a call beside SQLite; the harness in
// cmd/qwenbench is the measurement against the floor.
//
//	QWENPROXY_TEST_DATABASE_URL=postgres://… go test -run '^$' -bench ChatCall ./internal/e2e
func BenchmarkChatCall(b *testing.B) {
	for _, backend := range storetest.Backends {
		b.Run(backend, func(b *testing.B) { benchChatCall(b, backend) })
	}
}

func benchChatCall(b *testing.B, backend string) {
	e := startOnWith(b, backend, qwensim.Options{AnswerWords: 200}, nil)
	client := &http.Client{}
	defer benchcpu.Report(b)()
	for b.Loop() {
		postOK(b, client, e.app.URL()+"/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"benchmark"}]}`)
	}
}

// BenchmarkChatCallStreamed is BenchmarkChatCall streamed (SQLite): the
// answer's 200 pieces go out as chunks, flushed as they come.
//
//	go test -run '^$' -bench ChatCallStreamed -cpuprofile cpu.prof ./internal/e2e
func BenchmarkChatCallStreamed(b *testing.B) {
	e := startOnWith(b, "sqlite", qwensim.Options{AnswerWords: 200}, nil)
	client := &http.Client{}
	defer benchcpu.Report(b)()
	for b.Loop() {
		postOK(b, client, e.app.URL()+"/v1/chat/completions", `{"model":"qwen3-max","stream":true,"messages":[{"role":"user","content":"benchmark"}]}`)
	}
}

// postOK posts a chat body and fails unless it is answered.
func postOK(b *testing.B, client *http.Client, url, body string) {
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatal(resp.Status)
	}
}

// BenchmarkLargeRequest sends one 10 MB chat message through the whole
// server and reports the bytes allocated per request byte (B/reqB): how much
// memory a large request amplifies into (the client's body, the decoded
// request, the upstream body, the record). Upstream is a canned recorded
// answer that reads and drops what it is sent, so that what is counted is
// the proxy's own.
//
//	go test -run '^$' -bench LargeRequest ./internal/e2e
func BenchmarkLargeRequest(b *testing.B) {
	upstream, _ := cannedUpstream(b, recordedAnswer(b))
	e := startOnWith(b, "sqlite", qwensim.Options{}, func(c *config.Config) { c.QwenBaseURL = upstream.URL })
	body := `{"model":"qwen3-max","messages":[{"role":"user","content":"` + strings.Repeat("word ", 2_000_000) + `"}]}`
	client := &http.Client{}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		postOK(b, client, e.app.URL()+"/v1/chat/completions", body)
		e.sync() // the record written, its memory counted
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(len(body)), "B/reqB")
}
