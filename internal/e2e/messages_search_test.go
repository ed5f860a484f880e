package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// Anthropic's web search server tool (Claude Code's WebSearch declares
// {"type":"web_search_20250305","name":"web_search","max_uses":8}) is
// Qwen's own web search: the answer is searched and ends with its sources,
// streamed or not. It was a 400 ("a server tool … which Qwen cannot run"),
// so Claude Code's WebSearch failed on a model that searches. A model
// without search, or an image variant, refuses it as web_search_options.
func TestAnthropicsWebSearchToolSearches(t *testing.T) {
	e := start(t, nil)
	tool := `"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":8,"allowed_domains":["example.com"]}]`
	for _, stream := range []string{"false", "true"} {
		resp := postJSON(t, e, "/v1/messages", `{"model":"qwen3-max","max_tokens":100,"stream":`+stream+`,`+tool+
			`,"messages":[{"role":"user","content":"Perform a web search for the query: news in oslo"}]}`, nil)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `Sources:`) || !strings.Contains(body, "https://example.com/search/1") {
			t.Errorf("stream %s: not searched: %d %s", stream, resp.StatusCode, body)
		}
	}
	for model, param := range map[string]string{"qwen3-vl-plus": "tools.1", "qwen3-max-image": "tools.1"} {
		resp := postJSON(t, e, "/v1/messages", `{"model":"`+model+`","max_tokens":100,"tools":[{"name":"read","input_schema":{"type":"object"}},`+
			`{"type":"web_search_20260209","name":"web_search"}],"messages":[{"role":"user","content":"news"}]}`, nil)
		env := decodeAnthropicError(t, resp)
		if resp.StatusCode != http.StatusBadRequest || env.Error.Type != "invalid_request_error" || !strings.HasPrefix(env.Error.Message, param+" asks for web search") {
			t.Errorf("%s: %d %+v", model, resp.StatusCode, env)
		}
	}
	// Another server tool is still refused, naming it.
	resp := postJSON(t, e, "/v1/messages", `{"model":"qwen3-max","max_tokens":100,"tools":[{"type":"web_fetch_20250910","name":"web_fetch"}],"messages":[{"role":"user","content":"x"}]}`, nil)
	if env := decodeAnthropicError(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(env.Error.Message, `"web_fetch_20250910" is a server tool`) {
		t.Errorf("web_fetch: %d %+v", resp.StatusCode, env)
	}
}
