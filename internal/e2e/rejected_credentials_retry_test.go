package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// Qwen refusing the proxy's credentials is a 401 that no resend of the
// call escapes — the account is out until its credentials change — so it
// says so (X-Should-Retry: false), as the proxy's own unknown-key 401
// does: Claude Code retries a 401 with backoff unless told not to, and held
// `claude -p` for three minutes, nine calls, before it showed "Failed to
// authenticate". Both forms: Qwen's refusal itself, then the pool's answer
// for the calls after it (every account refused).
func TestRejectedCredentialsAreFinal(t *testing.T) {
	e := start(t, nil)
	e.sim.Inject(qwensim.Fault{Status: 401})
	body := `{"model":"qwen3-max","max_tokens":50,"messages":[{"role":"user","content":"hello"}]}`
	header := map[string]string{"anthropic-version": "2023-06-01"}
	for _, when := range []string{"Qwen's refusal", "the call after it"} {
		resp := postJSON(t, e, "/v1/messages", body, header)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), `"type":"authentication_error"`) {
			t.Fatalf("%s: %d %s, want a 401 authentication_error", when, resp.StatusCode, b)
		}
		if got := resp.Header.Get("X-Should-Retry"); got != "false" {
			t.Errorf("%s: X-Should-Retry %q, want \"false\": %s", when, got, b)
		}
	}
	// The Chat Completions route tells its clients the same.
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"hello"}]}`, nil)
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("X-Should-Retry") != "false" {
		t.Errorf("chat completions: %d, X-Should-Retry %q; want 401 and \"false\"", resp.StatusCode, resp.Header.Get("X-Should-Retry"))
	}
}
