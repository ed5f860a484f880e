package e2e

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// Anthropic's tool search: a request that declares the tool search tool
// (tool_search_tool_regex_…, tool_search_tool_bm25_…) beside tools marked
// defer_loading, as a client with many tools sends it, was a 400 ("a server
// tool, which Qwen cannot run"). Every tool is offered from the start, so
// the deferred tool is called at once; a client's own tool search that
// answers with tool_reference blocks (also a 400: not a tool result's block)
// has them told to the model as the tools being there.
func TestAnthropicToolSearchOffersDeferredTools(t *testing.T) {
	for _, search := range []string{
		`{"type":"tool_search_tool_regex_20251119","name":"tool_search_tool_regex"}`,
		`{"type":"tool_search_tool_bm25_20251119","name":"tool_search_tool_bm25"}`,
	} {
		e := start(t, nil)
		weather := `{"name":"get_weather","description":"Weather of a city","defer_loading":true,"input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}`
		user := `{"role":"user","content":"use get_weather with {\"city\": \"Oslo\"}"}`
		first := postJSON(t, e, "/v1/messages", `{"model":"claude-x","max_tokens":100,"tools":[`+search+`,`+weather+`],"messages":[`+user+`]}`, nil)
		body, _ := io.ReadAll(first.Body)
		if first.StatusCode != 200 {
			t.Fatalf("%s: %d %s", search, first.StatusCode, body)
		}
		var msg struct {
			StopReason string `json:"stop_reason"`
			Content    []struct {
				Type, ID, Name string
			} `json:"content"`
		}
		if err := json.Unmarshal(body, &msg); err != nil {
			t.Fatal(err)
		}
		var use string
		for _, b := range msg.Content {
			if b.Type == "tool_use" && b.Name == "get_weather" {
				use = b.ID
			}
			if b.Type == "server_tool_use" {
				t.Errorf("%s: the answer runs a server tool: %s", search, body)
			}
		}
		if msg.StopReason != "tool_use" || use == "" {
			t.Fatalf("%s: the deferred tool was not called: %s", search, body)
		}
		// The client's own search loads the tool by reference.
		assistant := `{"role":"assistant","content":[{"type":"text","text":"Let me do that."},{"type":"tool_use","id":"` + use + `","name":"get_weather","input":{"city":"Oslo"}}]}`
		result := `{"role":"user","content":[{"type":"tool_result","tool_use_id":"` + use + `","content":[{"type":"tool_reference","tool_name":"get_weather"}]}]}`
		next := postJSON(t, e, "/v1/messages", `{"model":"claude-x","max_tokens":100,"tools":[`+search+`,`+weather+`],"messages":[`+user+`,`+assistant+`,`+result+`]}`, nil)
		nextBody, _ := io.ReadAll(next.Body)
		if next.StatusCode != 200 {
			t.Fatalf("%s: the tool_reference turn %d: %s", search, next.StatusCode, nextBody)
		}
		if told := lastUpstreamMessage(t, e); !strings.Contains(told, "Tool get_weather is loaded") {
			t.Errorf("%s: the model was not told the tool is loaded: %q", search, told)
		}
	}
}

// Bad tool search input is a 400 naming the field, as Anthropic's: a search
// tool of the wrong name, a defer_loading that is not a boolean, a
// tool_reference without its tool_name.
func TestAnthropicToolSearchRefusesBadInput(t *testing.T) {
	e := start(t, nil)
	weather := func(deferLoading string) string {
		return `{"name":"get_weather","defer_loading":` + deferLoading + `,"input_schema":{"type":"object"}}`
	}
	user := `{"role":"user","content":"hi"}`
	for _, tc := range []struct{ name, tools, messages, param string }{
		{"search tool misnamed", `{"type":"tool_search_tool_regex_20251119","name":"search"},` + weather("true"), user, "tools.0.name"},
		{"defer_loading not a boolean", weather(`"yes"`), user, "tools.0.defer_loading"},
		{"tool_reference without tool_name", weather("true"), user + `,{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}]},` +
			`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"tool_reference"}]}]}`, "messages.2.content.0.content.0.tool_name"},
	} {
		resp := postJSON(t, e, "/v1/messages", `{"model":"claude-x","max_tokens":100,"tools":[`+tc.tools+`],"messages":[`+tc.messages+`]}`, nil)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 400 || !strings.Contains(string(body), tc.param) || !strings.Contains(string(body), "invalid_request_error") {
			t.Errorf("%s: %d %s, want a 400 naming %s", tc.name, resp.StatusCode, body, tc.param)
		}
	}
	if n := len(upstreamCompletions(t, e.sim)); n != 0 {
		t.Errorf("%d upstream completions for refused requests", n)
	}
}
