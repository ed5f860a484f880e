package bodies

import (
	"fmt"
	"strings"
	"testing"
)

// Compressing one 1 KB JSON body (the size of a typical message):
//
//	go test -run '^$' -bench Compress ./internal/store/bodies
func BenchmarkCompress1KB(b *testing.B) {
	c := NewCodec()
	words := strings.Fields("the a file read write test function error value build run module package return string agent")
	var sb strings.Builder
	sb.WriteString(`{"messages":[{"role":"user","content":"`)
	for j := 0; sb.Len() < 1000; j++ {
		sb.WriteString(" " + words[(j*13+j*j)%len(words)])
	}
	sb.WriteString(`"}]}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	var out []byte
	for b.Loop() {
		out = c.Compress(body)
	}
	b.ReportMetric(float64(len(out))/float64(len(body)), "ratio")
}

// Compressing an answer against the call's other body (CompressWith), as
// Qwen's streamed answer is against the client's: 200 events of each.
//
//	go test -run '^$' -bench CompressWith ./internal/store/bodies
func BenchmarkCompressWithAnswer(b *testing.B) {
	c := NewCodec()
	var upstream, client strings.Builder
	words := strings.Fields("the a file read write test function error value build run module package return string agent")
	for i := range 200 {
		w := words[(i*7+i*i)%len(words)]
		fmt.Fprintf(&upstream, `data: {"choices":[{"delta":{"role":"assistant","content":" %s","phase":"answer","status":"typing"}}],"usage":{"input_tokens":12,"output_tokens":%d,"total_tokens":%d},"response_id":"0b8d4c4e-1f4b-4c55-9d55-2f1c2b1a9e1d"}`+"\n\n", w, i+1, i+13)
		fmt.Fprintf(&client, `data: {"id":"chatcmpl-0b8d4c4e-1f4b-4c55-9d55-2f1c2b1a9e1d","object":"chat.completion.chunk","created":1764590000,"model":"qwen3-max","choices":[{"index":0,"delta":{"content":" %s"},"finish_reason":null}]}`+"\n\n", w)
	}
	raw, dict := []byte(upstream.String()), []byte(client.String())
	b.SetBytes(int64(len(raw)))
	for _, with := range []bool{false, true} {
		b.Run(fmt.Sprint("dict=", with), func(b *testing.B) {
			var out []byte
			for b.Loop() {
				if with {
					out = c.CompressWith(raw, dict)
				} else {
					out = c.Compress(raw)
				}
			}
			b.ReportMetric(float64(len(out)), "bytes")
		})
	}
}
