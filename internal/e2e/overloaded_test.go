package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// A 503 on /v1/messages that the client is told not to retry (no Qwen
// credentials: X-Should-Retry: false) is an api_error: as an
// overloaded_error, Claude Code took it for an overloaded Anthropic (529)
// and retried it for about three minutes whatever X-Should-Retry said,
// before it showed the proxy's message. A 503 worth retrying soon (every
// account resting for seconds) stays an overloaded_error.
func TestMessagesFinal503IsNotAnOverload(t *testing.T) {
	const body = `{"model":"claude-x","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`
	e := start(t, func(c *config.Config) { c.QwenToken, c.QwenCookies = "", "" })
	resp := postJSON(t, e, "/v1/messages", body, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("X-Should-Retry") != "false" || !strings.Contains(string(b), `"type":"api_error"`) {
		t.Fatalf("without credentials: %d X-Should-Retry %q %s", resp.StatusCode, resp.Header.Get("X-Should-Retry"), b)
	}

	e = start(t, func(c *config.Config) { c.MaxRetries = 0 })
	e.sim.Inject(qwensim.Fault{Firewall: true}) // the account rests a few seconds after it
	if resp := postJSON(t, e, "/v1/messages", body, nil); resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("a firewall page: %d", resp.StatusCode)
	}
	resp = postJSON(t, e, "/v1/messages", body, nil)
	b, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("X-Should-Retry") != "" || !strings.Contains(string(b), `"type":"overloaded_error"`) {
		t.Fatalf("every account resting: %d X-Should-Retry %q %s", resp.StatusCode, resp.Header.Get("X-Should-Retry"), b)
	}
}
