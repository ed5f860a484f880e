package e2e

import (
	"net/http"
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

// /health's `rejected` said of a firewall page met by an account the proxy
// signs in that "a fresh Cookie header from a browser that passed its check
// helps", though such an account uses no cookie (the advice its call's
// client and log get names none). Its reason says the account rests and how
// to pass the check as it; /health, which needs no key, without its
// address. The pasted cookie's reason keeps the cookie's advice.
func TestHealthTellsASignedInAccountsFirewallRefusalWithoutCookieAdvice(t *testing.T) {
	rejected := func(e *env, path string) string {
		t.Helper()
		_, h := getJSON(t, e, http.MethodGet, path)
		creds, _ := h["credentials"].(map[string]any)
		r, _ := creds["rejected"].(map[string]any)
		reason, _ := r["reason"].(string)
		if reason == "" {
			t.Fatalf("%s: no refusal after a firewall page: %v", path, h)
		}
		return reason
	}
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}}, nil)
	e.sim.Inject(qwensim.Fault{Firewall: true, Times: 10})
	if resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hi"}]}`, nil); resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("signed-in account: %d %s", resp.StatusCode, body)
	}
	for _, path := range []string{"/health", "/health/detailed"} {
		reason := rejected(e, path)
		if !strings.Contains(reason, "firewall") || strings.Contains(reason, "fresh Cookie header") || !strings.Contains(reason, "signs in") {
			t.Fatalf("%s: the reason of a signed-in account's firewall refusal: %s", path, reason)
		}
		if path == "/health" && strings.Contains(reason, alice) {
			t.Fatalf("/health names the account's address: %s", reason)
		}
	}

	cookie := start(t, nil)
	cookie.sim.Inject(qwensim.Fault{Firewall: true, Times: 10})
	if resp, body := chatCall(t, cookie, `{"messages":[{"role":"user","content":"hi"}]}`, nil); resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("pasted cookie: %d %s", resp.StatusCode, body)
	}
	if reason := rejected(cookie, "/health"); !strings.Contains(reason, "fresh Cookie header") {
		t.Fatalf("the pasted cookie's firewall refusal: %s", reason)
	}
}
