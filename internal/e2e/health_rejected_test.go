package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/config"
)

// A pasted cookie Qwen refuses, beside a signed-in account that works:
// /health's top-level `rejected` stays the cookie's refusal (its account
// named) while the cookie's entry is auth_failed, however many calls the
// other account serves. Any account's success cleared it, so /health said
// nothing was refused while its cookie entry said auth_failed.
func TestHealthKeepsARefusalWhileAnotherAccountWorks(t *testing.T) {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"id":"gone","exp":4102444800,"iss":"qwensim"}`))
	refused := "token=" + header + "." + payload + ".c2ltdWxhdG9y" // the simulator's issuer, no account of it: "Invalid token"
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}}, func(c *config.Config) { c.QwenCookies = refused })
	type health struct {
		Credentials struct {
			Rejected *struct {
				At      time.Time `json:"at"`
				Account string    `json:"account"`
				Reason  string    `json:"reason"`
			} `json:"rejected"`
			Accounts []accounts.Status `json:"accounts"`
		} `json:"credentials"`
	}
	get := func(path string) health {
		t.Helper()
		resp, err := http.Get(e.app.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var h health
		if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	for _, text := range []string{"one", "two", "three"} { // alice, then the cookie (refused: alice takes it), then alice
		if resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"`+text+`"}]}`, nil); resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
	if st := healthAccounts(t, e)[accounts.CookieID]; st.State != accounts.StateAuthFailed {
		t.Fatalf("the cookie's entry: %+v", st)
	}
	for _, path := range []string{"/health", "/health/detailed"} {
		h := get(path)
		if r := h.Credentials.Rejected; r == nil || r.Account != accounts.CookieID || r.Reason == "" {
			t.Fatalf("%s: rejected %+v while the cookie's entry is auth_failed (accounts %+v)", path, r, h.Credentials.Accounts)
		}
	}
}

// A token Qwen refuses as expired, whose fresh sign-in meets the firewall:
// the client is told of the firewall (TestAFailedReSignInIsTheFailureTheClientIsTold),
// and so is /health, whose `rejected` said "credentials rejected: … Token
// has expired" — sending the operator to check a password that Qwen never
// refused (an expired token is the proxy's to renew).
func TestHealthTellsAFirewallAtReSignInAsTheFirewall(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}}, nil)
	if resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hello"}]}`, nil); resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	e.sim.ExpireTokens(alice)
	e.sim.FailSignIns(alice, 1)
	if resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"again"}]}`, nil); resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("the call whose re-sign-in met the firewall: %d %s", resp.StatusCode, body)
	}
	_, h := getJSON(t, e, http.MethodGet, "/health/detailed")
	creds, _ := h["credentials"].(map[string]any)
	r, _ := creds["rejected"].(map[string]any)
	if reason, _ := r["reason"].(string); !strings.Contains(reason, "firewall") || strings.Contains(reason, "credentials rejected") || strings.Contains(reason, "expired") {
		t.Fatalf("rejected after a firewall at re-sign-in: %v", r)
	}
}
