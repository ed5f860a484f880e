package e2e

import (
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// Qwen's keep-alive (response.info, which it sends during long work such as
// an image generation) is no piece of the answer: a stream whose upstream
// fails after it, before anything of the answer, keeps the failure's HTTP
// status, as one failing before any event does. It opened the stream, so
// the client got a 200 and an error event (an SDK does not retry that, as
// it retries a 429 or a 5xx), in every client API.
func TestAStreamFailingAfterQwensKeepAliveKeepsItsStatus(t *testing.T) {
	e := start(t, nil)
	for _, c := range []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"qwen3-max-image","stream":true,"messages":[{"role":"user","content":"draw a cat"}]}`},
		{"/v1/messages", `{"model":"qwen3-max-image","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"draw a dog"}]}`},
		{"/v1/responses", `{"model":"qwen3-max-image","stream":true,"input":"draw a fox"}`},
	} {
		e.sim.Inject(qwensim.Fault{CutAfter: 1}) // after the generation's keep-alive
		resp := postJSON(t, e, c.path, c.body, nil)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusBadGateway || strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") || !strings.Contains(body, "broke off") {
			t.Errorf("%s: %d %s %s", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if r := e.lastRow(); r.HTTPStatus != http.StatusBadGateway {
			t.Errorf("%s: recorded %d", c.path, r.HTTPStatus)
		}
	}
}

// An Anthropic stream of an -image turn names the prompt's tokens in its
// message_start, as every other stream does: opened at Qwen's keep-alive,
// before the answer's first piece brought the count, it said 0.
func TestAnImageStreamsMessageStartCountsThePrompt(t *testing.T) {
	e := start(t, nil)
	resp := postJSON(t, e, "/v1/messages", `{"model":"qwen3-max-image","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"draw a red fox in the snow"}]}`, nil)
	body := readBody(t, resp)
	_, after, _ := strings.Cut(body, `"type":"message_start"`)
	start, _, _ := strings.Cut(after, "\n")
	if resp.StatusCode != http.StatusOK || !strings.Contains(start, `"input_tokens":`) || strings.Contains(start, `"input_tokens":0`) {
		t.Fatalf("%d message_start %s", resp.StatusCode, start)
	}
}
