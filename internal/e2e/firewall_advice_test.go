package e2e

import (
	"strings"
	"testing"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/qwensim"
)

// A firewall page met by a call made as an account the proxy signs in was
// answered with the pasted cookie's advice — open chat.qwen.ai and copy a
// fresh Cookie header — which the proxy does not use. Such a call gets the
// account's advice (without its address, which clients are not shown);
// a call made with the pasted cookie keeps the cookie's.
func TestAFirewallRefusalOfASignedInAccountGivesItsAdvice(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}}, nil)
	e.sim.Inject(qwensim.Fault{Firewall: true, Times: 10})
	resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hi"}]}`, nil)
	if resp.StatusCode != 502 || !strings.Contains(body, "upstream_firewall") || strings.Contains(body, "copy a fresh Cookie header") ||
		!strings.Contains(body, "signs in") || strings.Contains(body, alice) {
		t.Fatalf("signed-in account: %d %s", resp.StatusCode, body)
	}
	e.sync()
	if r := e.lastRow(); strings.Contains(r.Error, "copy a fresh Cookie header") {
		t.Fatalf("recorded error: %s", r.Error)
	}

	cookie := start(t, nil)
	cookie.sim.Inject(qwensim.Fault{Firewall: true, Times: 10})
	resp, body = chatCall(t, cookie, `{"messages":[{"role":"user","content":"hi"}]}`, nil)
	if resp.StatusCode != 502 || !strings.Contains(body, "copy a fresh Cookie header") {
		t.Fatalf("pasted cookie: %d %s", resp.StatusCode, body)
	}
}
