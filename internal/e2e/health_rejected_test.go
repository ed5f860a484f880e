package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
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

// A refused pasted cookie replaced by a fresh one (`credentials set`), and
// a refused account started afresh (`accounts reset`): /health's top-level
// `rejected` no longer names them, as their entries no longer say why. It
// went on saying "credentials rejected: … Token has expired" of the cookie
// the operator had just replaced, beside its entry saying ready, until the
// new cookie happened to serve a call.
func TestHealthForgetsARefusalOfCredentialsReplacedOrReset(t *testing.T) {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"id":"gone","exp":4102444800,"iss":"qwensim"}`))
	refused := "token=" + header + "." + payload + ".c2ltdWxhdG9y" // the simulator's issuer, no account of it: "Invalid token"
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}}, func(c *config.Config) { c.QwenCookies = refused })
	rejected := func() map[string]any {
		t.Helper()
		var out []map[string]any
		for _, path := range []string{"/health", "/health/detailed"} {
			_, h := getJSON(t, e, http.MethodGet, path)
			creds, _ := h["credentials"].(map[string]any)
			r, _ := creds["rejected"].(map[string]any)
			out = append(out, r)
		}
		if (out[0] == nil) != (out[1] == nil) {
			t.Fatalf("/health and /health/detailed disagree: %v", out)
		}
		return out[1]
	}
	for _, text := range []string{"one", "two"} { // alice, then the cookie (refused: alice takes it)
		if resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"`+text+`"}]}`, nil); resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
	if r := rejected(); r == nil || r["account"] != accounts.CookieID {
		t.Fatalf("rejected %v after the cookie's refusal", r)
	}

	// A fresh Cookie header, stored as `credentials set` stores it.
	if err := e.app.Store().SetQwenCredentials(ctxT(t), qp.QwenCredentials{Cookies: qwensim.LoginCookie(), UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := e.app.SyncAccounts(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if st := healthAccounts(t, e)[accounts.CookieID]; st.State != accounts.StateReady {
		t.Fatalf("the replaced cookie's entry: %+v", st)
	}
	if r := rejected(); r != nil {
		t.Fatalf("rejected %v after the refused cookie was replaced", r)
	}

	// Alice's token refused, and her sign-in too (a changed password):
	// her refusal is told, until `accounts reset` starts her afresh.
	e.sim.ChangePassword(alice, "another password")
	for i := 0; healthAccounts(t, e)[alice].State != accounts.StateAuthFailed; i++ {
		if i == 3 {
			t.Fatalf("alice never refused: %+v", healthAccounts(t, e)[alice])
		}
		if resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"turn `+strconv.Itoa(i)+`"}]}`, nil); resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
	if r := rejected(); r == nil || r["account"] != alice {
		t.Fatalf("rejected %v after alice's refusal", r)
	}
	if err := e.app.Store().SaveAccountState(ctxT(t), alice, e.sim.URL, qp.AccountState{State: accounts.StateReady, FailureClass: accounts.ResetMark, StateAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := e.app.SyncAccounts(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if r := rejected(); r != nil {
		t.Fatalf("rejected %v after alice was reset", r)
	}
}
