package openai

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkRequestChecks is what a chat request costs before it goes
// upstream, pass by pass: the field policy (CheckFields), decoding (Decode)
// and Decode with Validate, for the harness's one-line request and for a
// coding agent's (a 30 KB system prompt, 40 earlier messages, 12 tools:
// 70 KB), its prompt in one line or in lines (escaped newlines). MB/s is of
// the whole body.
//
//	go test -run '^$' -bench RequestChecks -benchmem ./internal/openai
func BenchmarkRequestChecks(b *testing.B) {
	bodies := []struct {
		name string
		body []byte
	}{
		{"small", []byte(`{"model":"qwen3-max","stream":true,"messages":[{"role":"user","content":"benchmark"}]}`)},
		{"agent", agentRequest("You are a careful coding agent. ")},
		{"agent-lines", agentRequest(`You are a careful coding agent.\n`)}, // a prompt of lines: escapes
	}
	for _, c := range bodies {
		b.Run(c.name+"/fields", func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				if _, err := CheckFields(c.body, ChatFields); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/decode", func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				var req ChatRequest
				if err := Decode(c.body, &req); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/decode+validate", func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				var req ChatRequest
				if err := Decode(c.body, &req); err != nil {
					b.Fatal(err)
				}
				if err := req.Validate(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// agentRequest is a coding agent's streamed chat request, as JSON, its
// system prompt the JSON string text repeated.
func agentRequest(text string) []byte {
	var b strings.Builder
	b.WriteString(`{"model":"qwen3-max","stream":true,"temperature":0.2,"messages":[{"role":"system","content":"`)
	b.WriteString(strings.Repeat(text, 1000))
	b.WriteString(`"}`)
	for i := range 20 {
		fmt.Fprintf(&b, `,{"role":"user","content":"%s"},{"role":"assistant","content":"%s"}`,
			strings.Repeat(fmt.Sprintf("Please change function %d. ", i), 40), strings.Repeat("Done. ", 60))
	}
	b.WriteString(`,{"role":"user","content":"new turn"}],"tools":[`)
	for i := range 12 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"type":"function","function":{"name":"tool%d","description":"%s","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}}`,
			i, strings.Repeat("Does things. ", 40))
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}
