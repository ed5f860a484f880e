package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// The Responses API's hosted web search tool ({"type":"web_search"}, and
// its preview and dated names) is Qwen's own web search when the model has
// it: the answer is searched and its output_text cites the sources. It was
// not offered, so a client that asked for web search got an answer that
// passed for a searched one, without a source. On a model without search
// it is still not offered (an agent that declares it beside its functions
// keeps working), as for every hosted tool.
func TestResponsesWebSearchToolSearches(t *testing.T) {
	e := start(t, nil)
	type output struct {
		Output []struct {
			Type    string `json:"type"`
			Content []struct {
				Text        string `json:"text"`
				Annotations []struct {
					Type, URL string
				} `json:"annotations"`
			} `json:"content"`
		} `json:"output"`
	}
	ask := func(model, tool string) output {
		t.Helper()
		resp := postJSON(t, e, "/v1/responses", `{"model":"`+model+`","tools":[{"type":"function","name":"read","parameters":{"type":"object"}},`+tool+`],"input":"news of Oslo"}`, nil)
		body := readBody(t, resp)
		var out output
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &out) != nil || len(out.Output) == 0 {
			t.Fatalf("%s %s: %d %s", model, tool, resp.StatusCode, body)
		}
		return out
	}
	for _, tool := range []string{`{"type":"web_search"}`, `{"type":"web_search_preview","search_context_size":"low"}`, `{"type":"web_search_2025_08_26","filters":{"allowed_domains":["example.com"]}}`} {
		out := ask("qwen3-max", tool)
		last := out.Output[len(out.Output)-1]
		if last.Type != "message" || len(last.Content[0].Annotations) != 2 || last.Content[0].Annotations[0].URL == "" {
			t.Errorf("%s: not searched: %+v", tool, out)
		}
	}
	out := ask("qwen3-vl-plus", `{"type":"web_search"}`)
	if last := out.Output[len(out.Output)-1]; strings.Contains(last.Content[0].Text, "Sources:") || len(last.Content[0].Annotations) != 0 {
		t.Errorf("a model without search searched: %+v", out)
	}
}

// A tool_choice forcing the declared web search ({"type":"web_search_preview"},
// as OpenAI's guide shows) is honoured by searching: it was a 400 saying
// only function tools are emulated. Forcing it undeclared stays a 400.
func TestResponsesToolChoiceMayForceTheWebSearch(t *testing.T) {
	e := start(t, nil)
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","tools":[{"type":"web_search_preview"}],"tool_choice":{"type":"web_search_preview"},"input":"news of Oslo"}`, nil)
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"url_citation"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	resp = postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","tool_choice":{"type":"web_search_preview"},"input":"news of Oslo"}`, nil)
	if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "tool_choice") {
		t.Fatalf("undeclared: %d %s", resp.StatusCode, body)
	}
}

// Forcing the web search on a model without it is a 400 naming tool_choice:
// the answer would pass for a searched one.
func TestResponsesForcedWebSearchNeedsAModelThatSearches(t *testing.T) {
	e := start(t, nil)
	resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-vl-plus","tools":[{"type":"web_search"}],"tool_choice":{"type":"web_search"},"input":"news"}`, nil)
	if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"model_capability_unsupported"`) || !strings.Contains(body, `"param":"tool_choice"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}
