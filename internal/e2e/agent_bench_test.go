package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/benchcpu"
	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// BenchmarkAgentCall is a coding agent's call through the whole server,
// streamed, against the canned upstream: a 30 KB system prompt, 12 tools
// and 40 earlier messages resent with one new message, answered with the
// recorded 823-event answer through the tool-call filter. It reports the
// CPU and allocations of a call, the shape that matters most to agents.
//
//	go test -run '^$' -bench AgentCall -benchtime 1000x -benchmem ./internal/e2e
func BenchmarkAgentCall(b *testing.B) {
	answer := recordedAnswer(b)
	upstream, _ := cannedUpstream(b, answer)
	e := startOnWith(b, "sqlite", qwensim.Options{}, func(c *config.Config) { c.QwenBaseURL, c.LogLevel = upstream.URL, "info" })
	msgs := []map[string]any{{"role": "system", "content": strings.Repeat("You are a careful coding agent. ", 1000)}}
	for i := range 20 {
		msgs = append(msgs, map[string]any{"role": "user", "content": strings.Repeat(fmt.Sprintf("Please change function %d. ", i), 40)},
			map[string]any{"role": "assistant", "content": strings.Repeat("Done. ", 60)})
	}
	var tools []map[string]any
	for i := range 12 {
		tools = append(tools, map[string]any{"type": "function", "function": map[string]any{"name": fmt.Sprint("tool", i), "description": strings.Repeat("Does things. ", 40),
			"parameters": map[string]any{"type": "object", "properties": map[string]any{"path": map[string]any{"type": "string"}}}}})
	}
	client := &http.Client{}
	defer benchcpu.Report(b)()
	for i := 0; b.Loop(); i++ {
		m := append(msgs[:len(msgs):len(msgs)], map[string]any{"role": "user", "content": fmt.Sprint("new turn ", i)})
		body, _ := json.Marshal(map[string]any{"model": "qwen3-max", "stream": true, "messages": m, "tools": tools})
		postOK(b, client, e.app.URL()+"/v1/chat/completions", string(body))
	}
}
