package bodies

import (
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
