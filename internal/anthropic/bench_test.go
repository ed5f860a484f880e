package anthropic

import (
	"fmt"
	"strings"
	"testing"

	"qwenproxy/internal/openai"
)

// BenchmarkRequest is what a Claude Code-shaped request (a 33 KB system
// prompt in lines, 40 messages of text blocks, 12 tools: 65 KB) costs
// before it goes upstream: decoded, validated and turned into the core's
// conversation.
//
//	go test -run '^$' -bench Request -benchmem ./internal/anthropic
func BenchmarkRequest(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"model":"claude-sonnet-4","max_tokens":32000,"stream":true,"system":[{"type":"text","text":"`)
	sb.WriteString(strings.Repeat(`You are Claude Code.\n`, 1500))
	sb.WriteString(`"}],"messages":[`)
	for i := range 20 {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"role":"user","content":[{"type":"text","text":"%s"}]},{"role":"assistant","content":[{"type":"text","text":"%s"}]}`,
			strings.Repeat(`Please fix it.\n`, 40), strings.Repeat(`Done.\n`, 60))
	}
	sb.WriteString(`],"tools":[`)
	for i := range 12 {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"name":"tool%d","description":"%s","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}`,
			i, strings.Repeat(`Does things.\n`, 40))
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var r Request
		if err := openai.Decode(body, &r); err != nil {
			b.Fatal(err)
		}
		if err := r.Validate(false); err != nil {
			b.Fatal(err)
		}
		if len(r.Conversation()) != 41 {
			b.Fatal("conversation")
		}
	}
}
