package openai

import (
	"strings"
	"testing"
)

// BenchmarkDepth measures Depth over an agent-shaped request: mostly long
// message texts.
//
//	go test -run '^$' -bench Depth ./internal/openai
func BenchmarkDepth(b *testing.B) {
	body := []byte(`{"model":"m","messages":[{"role":"system","content":"` + strings.Repeat(`You are a careful \"coding\" agent. `, 3000) + `"}]}`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		Depth(body)
	}
}
