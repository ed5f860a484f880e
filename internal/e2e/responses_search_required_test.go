package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// tool_choice "required" with the web search tool as the only tool the
// model can use forces the search, as Anthropic's "any" beside its web
// search tool alone does: it was a 400 saying the web search was not
// offered to the model, on a model that searches. Beside a function the
// choice is the model's among them, as before; on a model without search
// it is the 400 a forced search is.
func TestResponsesRequiredWithOnlyTheWebSearchSearches(t *testing.T) {
	e := start(t, nil)
	ask := func(body string) (int, string) {
		t.Helper()
		resp := postJSON(t, e, "/v1/responses", body, nil)
		return resp.StatusCode, readBody(t, resp)
	}
	for _, stream := range []string{"false", "true"} {
		code, body := ask(`{"model":"qwen3-max","stream":` + stream + `,"tools":[{"type":"web_search"}],"tool_choice":"required","input":"the weather in Oslo"}`)
		if code != http.StatusOK || !strings.Contains(body, `"url_citation"`) {
			t.Fatalf("stream %s: %d %s", stream, code, body)
		}
	}
	if m := messagesOf(upstreamCompletions(t, e.sim)[0])[0]; m["chat_type"] != "search" {
		t.Fatalf("upstream %v, want a search message", m)
	}

	code, body := ask(`{"model":"qwen3-max","tools":[{"type":"web_search"},{"type":"function","name":"read","parameters":{"type":"object"}}],"tool_choice":"required","input":"use read with {}"}`)
	if code != http.StatusOK || !strings.Contains(body, `"function_call"`) || strings.Contains(body, `"url_citation"`) {
		t.Fatalf("beside a function: %d %s", code, body)
	}
	code, body = ask(`{"model":"qwen3-vl-plus","tools":[{"type":"web_search"}],"tool_choice":"required","input":"news"}`)
	if code != http.StatusBadRequest || !strings.Contains(body, `"model_capability_unsupported"`) || !strings.Contains(body, `"param":"tool_choice"`) {
		t.Fatalf("model without search: %d %s", code, body)
	}
}
