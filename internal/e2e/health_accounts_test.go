package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"qwenproxy/internal/accounts"
)

// TestHealthNamesAccountsWithoutTheirEmail: the unauthenticated /health
// shows each account's state under an id that is not its e-mail address
// (not even inside a problem or a rejection); /health/detailed and
// /metrics, which operators scrape, keep the addresses.
func TestHealthNamesAccountsWithoutTheirEmail(t *testing.T) {
	e := startAccounts(t, "sqlite", []accounts.Login{{Email: alice, Password: alicePassword}, {Email: bob, Password: "not-bobs-password"}}, nil)
	for range 2 { // one call per account: bob's sign-in is refused
		chatCall(t, e, `{"messages":[{"role":"user","content":"hi"}]}`, nil)
	}
	health := fetch(t, e, "/health")
	if strings.Contains(health, "@example.com") || strings.Contains(health, "alice") || strings.Contains(health, "bob") {
		t.Fatalf("/health shows an address:\n%s", health)
	}
	var h struct {
		Credentials struct {
			Accounts []accounts.Status `json:"accounts"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal([]byte(health), &h); err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, a := range h.Credentials.Accounts {
		states[a.ID] = a.State
	}
	if len(states) != 2 || states[accounts.PublicID(bob)] != accounts.StateAuthFailed || states[accounts.PublicID(alice)] == "" ||
		accounts.PublicID(alice) == accounts.PublicID(bob) {
		t.Fatalf("/health accounts: %v", states)
	}
	if detailed := fetch(t, e, "/health/detailed"); !strings.Contains(detailed, alice) || !strings.Contains(detailed, bob) {
		t.Fatalf("/health/detailed lost the addresses:\n%s", detailed)
	}
	if metrics := fetch(t, e, "/metrics"); !strings.Contains(metrics, alice) {
		t.Fatal("/metrics lost the addresses")
	}
}
