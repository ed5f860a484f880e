package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// BenchmarkChatCall is one non-streamed call through the whole server, in
// process, for profiling (-cpuprofile); the harness in cmd/qwenbench is the
// measurement.
func BenchmarkChatCall(b *testing.B) {
	t := &testing.T{}
	_ = t
	e := startWith(&testing.T{}, qwensim.Options{AnswerWords: 200}, nil)
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
