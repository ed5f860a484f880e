package qwen

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordedEvents is the recorded 2025 stream's event payloads, and the same
// answer in the 2026 form the simulator sends (qwensim/events.go: every
// event names its response, usage events carry a timestamp and
// prompt_tokens_details, created events a response_index).
func recordedEvents(tb testing.TB) (v2025, v2026 [][]byte) {
	raw, err := os.ReadFile("../../testdata/qwen/completion-stream.sse")
	if err != nil {
		tb.Fatal(err)
	}
	const id = `"e34734e7-0999-4d8f-a900-81d1a3db9ae4"`
	for _, line := range strings.Split(string(raw), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		v2025 = append(v2025, []byte(data))
		switch {
		case strings.Contains(data, `"response.created"`):
			data = strings.Replace(data, `}} `, `, "response_index": "0"}} `, 1)
		case strings.Contains(data, `"usage"`):
			data = strings.Replace(data, `, "cached_tokens": 0}}`,
				`, "prompt_tokens_details": {"cached_tokens": 0}}, "response_id": `+id+`, "timestamp": 1764510000}`, 1)
		default:
			data = strings.TrimSuffix(data, "}") + `, "response_id": ` + id + `}`
		}
		v2026 = append(v2026, []byte(data))
	}
	return v2025, v2026
}

// BenchmarkDecode is the decoder alone, a stream's events at a time:
//
//	go test -run '^$' -bench Decode -benchmem ./internal/qwen
func BenchmarkDecode(b *testing.B) {
	v2025, v2026 := recordedEvents(b)
	for _, c := range []struct {
		name   string
		events [][]byte
	}{{"2025", v2025}, {"2026", v2026}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				s := &Stream{}
				for _, data := range c.events {
					s.pending, s.next = s.pending[:0], 0
					if err := s.decode(data); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(c.events)), "ns/event")
		})
	}
}

// BenchmarkNewChatAnswer reads the recorded answer to chats/new: the fast
// path every new conversation takes, beside the envelope it replaced.
//
//	go test -run '^$' -bench NewChatAnswer ./internal/qwen
func BenchmarkNewChatAnswer(b *testing.B) {
	answer, err := os.ReadFile("../../testdata/qwen/chats-new.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := decodeNewChat(answer); !ok {
				b.Fatal("not read")
			}
		}
	})
	b.Run("envelope", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var env envelope
			if err := decodeEnvelope(answer, &env); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStreamRead is a whole answer read through a Stream, its events
// framed as Qwen frames them (a data line, then a blank line): the reading
// of lines and the decoding together, what the proxy spends on each event
// it reads, beside BenchmarkDecode's decoding alone.
//
//	go test -run '^$' -bench 'StreamRead|Decode' -benchmem ./internal/qwen
func BenchmarkStreamRead(b *testing.B) {
	v2025, v2026 := recordedEvents(b)
	for _, c := range []struct {
		name   string
		events [][]byte
	}{{"2025", v2025}, {"2026", v2026}} {
		var sse bytes.Buffer
		for _, data := range c.events {
			sse.WriteString("data: ")
			sse.Write(data)
			sse.WriteString("\n\n")
		}
		b.Run(c.name, func(b *testing.B) {
			body := bytes.NewReader(sse.Bytes())
			readers := &sync.Pool{New: newStreamReader}
			n := 0
			for b.Loop() {
				body.Reset(sse.Bytes())
				ctx, cancel := context.WithCancel(context.Background())
				s := newStream(ctx, cancel, io.NopCloser(body), newWatchdog(time.Minute, cancel), readers)
				for {
					ev, err := s.Next()
					if err != nil {
						b.Fatal(err)
					}
					n++
					if ev.Finished && ev.Phase == PhaseAnswer {
						break
					}
				}
				s.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
		})
	}
}
