package session

import (
	"strings"
	"testing"

	"qwenproxy/internal/openai"
)

// BenchmarkKey hashes a coding agent's conversation: a 30 KB system prompt
// and 20 messages, the work done for every call.
func BenchmarkKey(b *testing.B) {
	msgs := []openai.Message{m("system", strings.Repeat("You are a careful coding agent. ", 1000))}
	for i := range 10 {
		msgs = append(msgs, m("user", strings.Repeat("Please change the function. ", 20+i)), m("assistant", strings.Repeat("Done. ", 30)))
	}
	size := 0
	for _, x := range msgs {
		size += len(x.Content)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		key(msgs, nil)
	}
}
