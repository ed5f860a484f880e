package translate

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	qp "qwenproxy"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
)

// The per-event cost of a streamed answer: parse Qwen's event, account it,
// encode the OpenAI chunk. Run with -benchmem; compare the three:
//
//	go test -run '^$' -bench StreamEvents -benchmem ./internal/translate
//
// ByteScan is the floor (finding the events, nothing more); Naive decodes
// into maps and re-encodes with encoding/json, as a straightforward proxy
// would; Pipeline is the proxy's own path.
func recordedStream(b *testing.B) ([]byte, int) {
	raw, err := os.ReadFile("../../testdata/qwen/completion-stream.sse")
	if err != nil {
		b.Fatal(err)
	}
	return raw, bytes.Count(raw, []byte("\n\n"))
}

func BenchmarkStreamEventsByteScan(b *testing.B) {
	raw, events := recordedStream(b)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		n := 0
		for rest := raw; ; n++ {
			i := bytes.Index(rest, []byte("\n\n"))
			if i < 0 {
				break
			}
			rest = rest[i+2:]
		}
		if n != events {
			b.Fatal(n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
}

func BenchmarkStreamEventsNaive(b *testing.B) {
	raw, events := recordedStream(b)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		var out bytes.Buffer
		for _, line := range strings.Split(string(raw), "\n") {
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				continue
			}
			var ev map[string]any
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				b.Fatal(err)
			}
			choices, _ := ev["choices"].([]any)
			if len(choices) == 0 {
				continue
			}
			delta := choices[0].(map[string]any)["delta"].(map[string]any)
			chunk, _ := json.Marshal(map[string]any{"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m",
				"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": delta["content"]}, "finish_reason": nil}}})
			out.WriteString("data: ")
			out.Write(chunk)
			out.WriteString("\n\n")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
}

func BenchmarkStreamEventsPipeline(b *testing.B) {
	raw, events := recordedStream(b)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		s := qwen.NewStream(io.NopCloser(bytes.NewReader(raw)))
		enc := openai.NewChatChunkEncoder("chatcmpl-x", "qwen3-max", 1)
		var ans Answer
		var out int
		for {
			ev, err := s.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if content, _ := ans.Add(ev); content != "" {
				out += len(enc.Content(content))
			}
		}
		if !ans.Finished || out == 0 {
			b.Fatal("answer did not finish")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*events), "ns/event")
}

// BenchmarkUpstreamRequest translates a coding agent's turn: a 30 KB system
// prompt and 20 earlier messages, replayed into a new chat.
func BenchmarkUpstreamRequest(b *testing.B) {
	msgs := []qp.Message{msg("system", strings.Repeat("You are a careful coding agent. ", 1000))}
	for i := range 10 {
		msgs = append(msgs, msg("user", strings.Repeat("Please change the function. ", 20+i)), msg("assistant", strings.Repeat("Done, here it is. ", 30)))
	}
	msgs = append(msgs, msg("user", "And now the tests."))
	for b.Loop() {
		spec := UpstreamMessage(msgs, Plan{Tell: true, Replay: true})
		if _, err := json.Marshal(qwen.NewCompletionRequest("chat", "", "qwen3-max", timeZero, spec)); err != nil {
			b.Fatal(err)
		}
	}
}

var timeZero = time.Unix(0, 0)
