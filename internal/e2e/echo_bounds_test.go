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
func TestErrorsEchoABoundedPartOfWhatWasSent(t *testing.T) {
	e := start(t, nil)
	long := strings.Repeat("a", 100_000)
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodGet, "/v1/models/" + long, ""},
		{http.MethodGet, "/v1/responses/resp_" + long, ""},
		{http.MethodPost, "/v1/chat/completions", `{"model":"` + long + `","messages":[{"role":"user","content":"hi"}]}`},
		{http.MethodPost, "/v1/responses", `{"model":"qwen3-max","input":"hi","previous_response_id":"resp_` + long + `"}`},
	} {
		req, err := http.NewRequestWithContext(ctxT(t), tc.method, e.app.URL()+tc.path, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 || len(body) > 2048 {
			t.Errorf("%s %.40s…: %d, an answer of %d bytes: %.200s", tc.method, tc.path, resp.StatusCode, len(body), body)
		}
	}
}
