package e2e

import (
	"encoding/json"
	"fmt"
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

// A searched answer held to JSON (response_format, text.format) keeps its
// sources as annotations, each an empty span at the end of the JSON, which
// stays the JSON alone. They were dropped: the client never learnt what
// the answer was drawn from.
func TestAJSONAnswerKeepsItsSourcesAsAnnotations(t *testing.T) {
	e := start(t, nil)
	type annotation struct {
		Type                 string
		StartIndex, EndIndex int `json:"-"`
		URLCitation          *struct {
			StartIndex int    `json:"start_index"`
			EndIndex   int    `json:"end_index"`
			URL        string `json:"url"`
		} `json:"url_citation"`
		Start *int   `json:"start_index"`
		End   *int   `json:"end_index"`
		URL   string `json:"url"`
	}
	check := func(api, text string, anns []annotation) {
		t.Helper()
		if text != `{"a": 1}` || len(anns) != 2 {
			t.Fatalf("%s: %q %+v", api, text, anns)
		}
		for _, a := range anns {
			start, end, url := a.Start, a.End, a.URL
			if a.URLCitation != nil {
				start, end, url = &a.URLCitation.StartIndex, &a.URLCitation.EndIndex, a.URLCitation.URL
			}
			if a.Type != "url_citation" || start == nil || *start != len(text) || *end != len(text) || !strings.HasPrefix(url, "https://example.") {
				t.Fatalf("%s: annotation %+v", api, a)
			}
		}
	}
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max-search","response_format":{"type":"json_object"},"messages":[{"role":"user","content":"in JSON: reply {\"a\": 1}"}]}`, nil)
	var chat struct {
		Choices []struct {
			Message struct {
				Content     string       `json:"content"`
				Annotations []annotation `json:"annotations"`
			} `json:"message"`
		} `json:"choices"`
	}
	if body := readBody(t, resp); json.Unmarshal([]byte(body), &chat) != nil || len(chat.Choices) != 1 {
		t.Fatalf("chat: %s", body)
	}
	check("chat", chat.Choices[0].Message.Content, chat.Choices[0].Message.Annotations)
	resp = postJSON(t, e, "/v1/responses", `{"model":"qwen3-max-search","text":{"format":{"type":"json_object"}},"input":"in JSON: reply {\"a\": 1}"}`, nil)
	var r struct {
		Output []struct {
			Content []struct {
				Text        string       `json:"text"`
				Annotations []annotation `json:"annotations"`
			} `json:"content"`
		} `json:"output"`
	}
	if body := readBody(t, resp); json.Unmarshal([]byte(body), &r) != nil || len(r.Output) == 0 {
		t.Fatalf("responses: %s", body)
	}
	last := r.Output[len(r.Output)-1].Content[0]
	check("responses", last.Text, last.Annotations)
}

// A streamed response checked whole before it is sent (a text.format, or a
// tool_choice that demands a call) announces its sources as any other
// stream does. Its message item was closed before they were read, so none
// was sent.
func TestACheckedResponsesStreamCitesItsSources(t *testing.T) {
	e := start(t, nil)
	for _, extra := range []string{`"text":{"format":{"type":"json_object"}},"input":"in JSON: reply {\"a\": 1}"`,
		`"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}],"tool_choice":"required","input":"use get_weather with {\"city\": \"Oslo\"}"`} {
		resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max-search","stream":true,`+extra+`}`, nil)
		body := readBody(t, resp)
		if n := strings.Count(body, "event: response.output_text.annotation.added"); resp.StatusCode != http.StatusOK || n != 2 || !strings.Contains(body, "event: response.completed") {
			t.Errorf("%s: %d annotations: %.3000s", extra, n, body)
		}
	}
}

// A declared web search tool that tool_choice does not force is the
// model's to use when it sees the need (OpenAI's and Anthropic's meaning):
// the turn goes to Qwen as a text chat with feature_config auto_search, and
// Qwen searches on its own. It made every turn a search chat, so Codex,
// which declares web_search on every call, had every turn searched and its
// answers followed by a list of sources. Forced, it is a search chat.
func TestADeclaredWebSearchIsTheModelsToUse(t *testing.T) {
	e := start(t, nil)
	for _, c := range []struct {
		path, body string
	}{
		{"/v1/responses", `{"model":"qwen3-max","tools":[{"type":"web_search"}],"input":%q}`},
		{"/v1/messages", `{"model":"qwen3-max","max_tokens":100,"tools":[{"type":"web_search_20250305","name":"web_search"},{"name":"read","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":%q}]}`},
	} {
		for prompt, searched := range map[string]bool{"say hi": false, "news of Oslo": true} {
			resp := postJSON(t, e, c.path, fmt.Sprintf(c.body, prompt), nil)
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s %q: %d %s", c.path, prompt, resp.StatusCode, body)
			}
			if got := strings.Contains(body, "https://example.com/search/1"); got != searched {
				t.Errorf("%s %q: searched %v, want %v: %s", c.path, prompt, got, searched, body)
			}
			sent := e.lastRow().QwenRequest.String
			if !strings.Contains(sent, `"chat_type":"t2t"`) || !strings.Contains(sent, `"auto_search":true`) {
				t.Errorf("%s %q: sent to Qwen %s, want a text chat with auto_search", c.path, prompt, sent)
			}
		}
	}
	// Forced, the turn is a search chat.
	for path, body := range map[string]string{
		"/v1/responses": `{"model":"qwen3-max","tools":[{"type":"web_search"}],"tool_choice":{"type":"web_search"},"input":"say hi"}`,
		"/v1/messages":  `{"model":"qwen3-max","max_tokens":100,"tools":[{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"tool","name":"web_search"},"messages":[{"role":"user","content":"say hi"}]}`,
	} {
		resp := postJSON(t, e, path, body, nil)
		if b := readBody(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(b, "https://example.com/search/1") {
			t.Errorf("%s forced: %d %s", path, resp.StatusCode, b)
		}
		if sent := e.lastRow().QwenRequest.String; !strings.Contains(sent, `"chat_type":"search"`) {
			t.Errorf("%s forced: sent to Qwen %s, want a search chat", path, sent)
		}
	}
}
