package e2e

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"

	"qwenproxy/internal/benchfloor"
	"qwenproxy/internal/qwensim"
)

// BenchmarkOpenStreamStacks holds streams open through the whole server and
// through the floor (internal/benchfloor), each stalled by the simulator
// after its first words, and reports the goroutine stacks each open stream
// adds to the process (stack-B/stream: the Go runtime's count of stack
// memory in use, after a collection, which shrinks stacks that use under a
// quarter of themselves), load-independent. A goroutine's stack starts at
// 8 KB and doubles when a call goes deeper than it, so a handler whose
// deepest call (the new chat's round trip, then the wait on Qwen's stream)
// passes about 7 KB of frames costs 16 KB a stream, held for the stream's
// life; the harness's memory per open stream and peak RSS (cmd/qwenbench)
// carry it. heap-B/stream is the live heap each open stream adds (the
// client's and the simulator's in this process too, alike for both
// targets), which the collector's goal doubles at the peak.
//
//	go test -run '^$' -bench OpenStreamStacks -benchtime 1x ./internal/e2e
func BenchmarkOpenStreamStacks(b *testing.B) {
	const streams = 200
	for _, target := range []string{"floor", "qwenproxy"} {
		b.Run(target, func(b *testing.B) {
			var sim *qwensim.Server
			var url string
			if target == "floor" {
				s, err := qwensim.Start(qwensim.Options{})
				if err != nil {
					b.Fatal(err)
				}
				f := httptest.NewServer(&benchfloor.Floor{Upstream: s.URL, Client: &http.Client{}})
				b.Cleanup(f.Close)
				// First: the floor's upstream calls take no context, so its
				// held streams end only when the simulator closes them.
				b.Cleanup(func() { s.Close() })
				sim, url = s, f.URL+"/v1/chat/completions"
			} else {
				e := startOnWith(b, "sqlite", qwensim.Options{}, nil)
				sim, url = e.sim, e.app.URL()+"/v1/chat/completions"
			}
			var perStream, heapPerStream, goroutines float64
			for b.Loop() {
				sim.Inject(qwensim.Fault{StallAfter: 3, Times: streams})
				before, g0 := stackBytes(), runtime.NumGoroutine()
				heapBefore := heapBytes()
				var open []*http.Response
				for range streams {
					open = append(open, firstWords(b, url))
				}
				perStream += float64(stackBytes()-before) / streams
				heapPerStream += (float64(heapBytes()) - float64(heapBefore)) / streams
				goroutines += float64(runtime.NumGoroutine()-g0) / streams
				for _, resp := range open {
					resp.Body.Close()
				}
			}
			b.ReportMetric(perStream/float64(b.N), "stack-B/stream")
			b.ReportMetric(heapPerStream/float64(b.N), "heap-B/stream")
			b.ReportMetric(goroutines/float64(b.N), "goroutines/stream")
		})
	}
}

// firstWords opens a streamed call on a connection of its own and returns
// it once its first content chunk has come, the stream still open.
func firstWords(b *testing.B, url string) *http.Response {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Post(url, "application/json", strings.NewReader(`{"model":"qwen3-max","stream":true,"messages":[{"role":"user","content":"hold this stream open"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			b.Fatalf("the stream ended before its first words: %v", err)
		}
		if bytes.Contains(line, []byte(`"content":"`)) {
			return resp
		}
	}
}

// heapBytes is the memory of live heap objects after a collection.
func heapBytes() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// stackBytes is the memory of goroutine stacks in use after a collection.
func stackBytes() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
