package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"

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
	for b.Loop() {
		resp, err := client.Post(e.app.URL()+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"model":"qwen3-max","messages":[{"role":"user","content":"benchmark"}]}`))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}
