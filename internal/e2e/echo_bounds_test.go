package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// An error that names what the client sent (a model, a response id) echoed
// it whole: a 100 KB id in the path, or a model name of megabytes in a body,
// came back in the error (twice, for an unknown model), where the route
// table's own errors cut what they echo to 128 bytes. Every such echo is now
// cut the same way.
//
// Until 2026-12-05 that was done one message at a time, and most were
// missed: a role, a reasoning_effort, a content part's type, a tool_choice
// or a response_format of a megabyte came back whole in a 400 of a
// megabyte, in all three client APIs, as did the history API's sort,
// status, error_type, order, count, include, an unknown parameter's name, a
// time, the models list's limit and after_id, and a Content-Type header.
// Every error's message is now bounded where it is written, whatever it
// echoes, and its param too.
func TestErrorsEchoABoundedPartOfWhatWasSent(t *testing.T) {
	e := start(t, nil)
	long := strings.Repeat("a", 100_000)
	const chat, messages, responses = "/v1/chat/completions", "/v1/messages", "/v1/responses"
	user := `[{"role":"user","content":"hi"}]`
	for _, tc := range []struct{ method, path, body, contentType string }{
		{method: http.MethodGet, path: "/v1/models/" + long},
		{method: http.MethodGet, path: "/v1/responses/resp_" + long},
		{method: http.MethodPost, path: chat, body: `{"model":"` + long + `","messages":` + user + `}`},
		{method: http.MethodPost, path: responses, body: `{"model":"qwen3-max","input":"hi","previous_response_id":"resp_` + long + `"}`},

		{method: http.MethodPost, path: chat, body: `{"model":"qwen3-max","messages":[{"role":"` + long + `","content":"hi"}]}`},
		{method: http.MethodPost, path: chat, body: `{"model":"qwen3-max","reasoning_effort":"` + long + `","messages":` + user + `}`},
		{method: http.MethodPost, path: chat, body: `{"model":"qwen3-max","messages":[{"role":"user","content":[{"type":"` + long + `"}]}]}`},
		{method: http.MethodPost, path: chat, body: `{"model":"qwen3-max","tool_choice":"` + long + `","messages":` + user + `}`},
		{method: http.MethodPost, path: chat, body: `{"model":"qwen3-max","response_format":{"type":"` + long + `"},"messages":` + user + `}`},
		{method: http.MethodPost, path: chat, body: `{}`, contentType: long},
		{method: http.MethodPost, path: messages, body: `{"model":"qwen3-max","max_tokens":5,"messages":[{"role":"` + long + `","content":"hi"}]}`},
		{method: http.MethodPost, path: messages, body: `{"model":"qwen3-max","max_tokens":5,"messages":[{"role":"user","content":[{"type":"` + long + `"}]}]}`},
		{method: http.MethodPost, path: messages + "/count_tokens", body: `{"model":"qwen3-max","messages":[{"role":"` + long + `","content":"hi"}]}`},
		{method: http.MethodPost, path: messages, body: `{}`, contentType: long},
		{method: http.MethodPost, path: responses, body: `{"model":"qwen3-max","input":[{"role":"` + long + `","content":"hi"}]}`},
		{method: http.MethodPost, path: responses, body: `{"model":"qwen3-max","input":"hi","tool_choice":"` + long + `"}`},
		{method: http.MethodPost, path: responses, body: `{"model":"qwen3-max","input":[{"type":"` + long + `"}]}`},

		{method: http.MethodGet, path: "/v1/models?limit=" + long},
		{method: http.MethodGet, path: "/v1/models?after_id=" + long},
		{method: http.MethodGet, path: "/v1/requests?sort=" + long},
		{method: http.MethodGet, path: "/v1/requests?status=" + long},
		{method: http.MethodGet, path: "/v1/requests?error_type=" + long},
		{method: http.MethodGet, path: "/v1/requests?" + long + "=1"},
		{method: http.MethodGet, path: "/v1/sessions?order=" + long},
		{method: http.MethodGet, path: "/v1/sessions?start=" + long},
		{method: http.MethodGet, path: "/v1/responses?count=" + long},
		{method: http.MethodGet, path: "/v1/stats?bucket=" + long},
		{method: http.MethodGet, path: "/v1/export?format=" + long},
		{method: http.MethodDelete, path: "/v1/requests?before=" + long},
	} {
		req, err := http.NewRequestWithContext(ctxT(t), tc.method, e.app.URL()+tc.path, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 || len(body) > 2048 {
			t.Errorf("%s %.40s… %.60s: %d, an answer of %d bytes: %.200s", tc.method, tc.path, tc.body, resp.StatusCode, len(body), body)
		}
	}
}
