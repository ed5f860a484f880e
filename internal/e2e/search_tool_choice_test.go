package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A declared web search tool is the model's to use only where tool_choice
// lets it use tools: "none" (both APIs), a forced call of another tool, or
// the Responses API's allowed_tools without the web search, leaves Qwen's
// own search off (feature_config.auto_search false), and the answer has no
// sources. It was left on whatever tool_choice said, so a client that
// barred tools still got a searched answer, sources appended. Where
// tool_choice allows it, the search stays Qwen's choice.
func TestToolChoiceThatBarsTheWebSearchTurnsOffQwensSearch(t *testing.T) {
	e := start(t, nil)
	const fn = `{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}`
	const afn = `{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}`
	for _, c := range []struct {
		path, body string
		searches   bool
	}{
		{"/v1/responses", `{"model":"qwen3-max","tools":[{"type":"web_search"}],"tool_choice":"none","input":"latest news in Oslo"}`, false},
		{"/v1/responses", `{"model":"qwen3-max","tools":[{"type":"web_search"},` + fn + `],"tool_choice":{"type":"allowed_tools","mode":"auto","tools":[{"type":"function","name":"get_weather"}]},"input":"latest news in Oslo"}`, false},
		{"/v1/responses", `{"model":"qwen3-max","tools":[{"type":"web_search"},` + fn + `],"tool_choice":{"type":"function","name":"get_weather"},"input":"use get_weather with {\"city\": \"Oslo\"}, latest news"}`, false},
		{"/v1/messages", `{"model":"qwen3-max","max_tokens":64,"tools":[{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"none"},"messages":[{"role":"user","content":"latest news in Oslo"}]}`, false},
		{"/v1/messages", `{"model":"qwen3-max","max_tokens":64,"tools":[{"type":"web_search_20250305","name":"web_search"},` + afn + `],"tool_choice":{"type":"tool","name":"get_weather"},"messages":[{"role":"user","content":"use get_weather with {\"city\": \"Oslo\"}, latest news"}]}`, false},
		{"/v1/responses", `{"model":"qwen3-max","tools":[{"type":"web_search"},` + fn + `],"tool_choice":"auto","input":"latest news in Oslo"}`, true},
		{"/v1/messages", `{"model":"qwen3-max","max_tokens":64,"tools":[{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"auto"},"messages":[{"role":"user","content":"latest news in Oslo"}]}`, true},
	} {
		before := len(upstreamCompletions(t, e.sim))
		resp := postJSON(t, e, c.path, c.body, nil)
		b, _ := io.ReadAll(resp.Body)
		sent := upstreamCompletions(t, e.sim)
		if resp.StatusCode != http.StatusOK || len(sent) == before {
			t.Fatalf("%s %s: %d %s", c.path, c.body, resp.StatusCode, b)
		}
		feature := messagesOf(sent[len(sent)-1])[0]["feature_config"].(map[string]any)
		if feature["auto_search"] != c.searches || strings.Contains(string(b), "Sources:") != c.searches {
			t.Errorf("%s %s: auto_search %v, answer %s", c.path, c.body, feature["auto_search"], b)
		}
	}
}
