package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// One HTTP 403 from Qwen took the pasted cookie out until it changed
// (auth_failed: every later call 401 until a restart), though a 403 alone
// may be the firewall's passing block of this address (qwen-2026.md §5).
// It now rests the account, as a firewall page does, and health and the
// metrics say why it is out and until when.
func TestOne403RestsTheCookieAccountInsteadOfRejectingIt(t *testing.T) {
	e := start(t, func(c *config.Config) { c.FailureCooldown, c.MaxRetries = time.Minute, 0 })
	e.sim.Inject(qwensim.Fault{Status: 403})
	// The client is told what may be, in a status its SDK retries: a 401
	// (authentication_error) was final for the SDKs, and Claude Code took
	// it for its own key, though the account only rests.
	resp := send(t, e, http.MethodPost, "/v1/chat/completions", "application/json", `{"model":"qwen3-max","messages":[{"role":"user","content":"hello"}]}`, nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), `"code":"upstream_forbidden"`) ||
		!strings.Contains(string(body), "firewall") {
		t.Fatalf("the call that met the 403: %d %s", resp.StatusCode, body)
	}
	before := time.Now()
	st := healthAccounts(t, e)[accounts.CookieID]
	if st.State != accounts.StateCoolingDown || st.FailureClass != string(accounts.ClassForbidden) || st.CooldownUntil == nil ||
		st.CooldownUntil.Before(before.Add(50*time.Second)) || st.CooldownUntil.After(before.Add(time.Minute)) {
		t.Fatalf("the cookie account after one 403: %+v", st)
	}
	metrics := fetch(t, e, "/metrics")
	for _, want := range []string{
		`qwenproxy_account_failures_total{account="cookie",class="forbidden"} 1`,
		`qwenproxy_account_state{account="cookie",state="cooling_down"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(metrics, `qwenproxy_account_cooldown_until_seconds{account="cookie"} 0`) {
		t.Error("metrics give the rest no end")
	}
}

// A bare 403 to a call made as an account the proxy signs in was logged with
// the pasted cookie's advice ("copy a fresh Cookie header from it"), and a
// firewall page with the cookie's "copy a fresh Cookie header" too, though
// such an account uses no cookie: an operator with only QWEN_ACCOUNTS was
// sent after a header the proxy never sends. The log's advice is the
// account's, as doctor's and `accounts test`'s are.
func TestTheLogAdvisesASignedInAccountWithoutACookie(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}}, func(c *config.Config) { c.MaxRetries = 0 })
	if resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hello"}]}`, nil); resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	// A 403, the fresh sign-in it calls for, and a 403 again: the account rests.
	e.sim.Inject(qwensim.Fault{Status: 403, Times: 2})
	if resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hello again"}]}`, nil); resp.StatusCode == 200 {
		t.Fatalf("the 403 was not the call's failure: %s", body)
	}
	logs := e.logs()
	if !strings.Contains(logs, "Qwen call failed") || !strings.Contains(logs, "status=403") {
		t.Fatalf("no warning of the 403:\n%s", logs)
	}
	if strings.Contains(logs, "Cookie header") || !strings.Contains(logs, "sign in to chat.qwen.ai as "+alice) {
		t.Fatalf("the advice for a 403 to %s:\n%s", alice, logs)
	}
}
