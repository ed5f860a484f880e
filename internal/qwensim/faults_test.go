package qwensim

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

// A page fault with a status is served with it: Qwen's firewall answers
// with HTTP 200 or with a refusal's status (qwen-2026.md §1.3). The plain
// status won, and a WAF page with 403 could not be injected.
func TestAPageFaultComesWithItsStatus(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, tc := range []struct {
		fault  Fault
		status int
		marker string
	}{
		{Fault{Endpoint: EndpointNewChat, Firewall: true, Status: 403}, 403, "aliyun_waf"},
		{Fault{Endpoint: EndpointNewChat, Firewall: true}, 200, "aliyun_waf"},
		{Fault{Endpoint: EndpointNewChat, RiskControl: true, Status: 405}, 405, "RGV587"},
		{Fault{Endpoint: EndpointNewChat, GatewayTimeout: true, Status: 504}, 504, "504 Gateway Time-out"},
		{Fault{Endpoint: EndpointNewChat, Status: 403}, 403, "Forbidden"},
	} {
		srv.Inject(tc.fault)
		status, _, body := webCall(t, srv, "/api/v2/chats/new", `{"models":["qwen3-max"],"chat_mode":"normal"}`, nil)
		if status != tc.status || !strings.Contains(body, tc.marker) {
			t.Errorf("%+v: %d %.200s, want %d with %q", tc.fault, status, body, tc.status, tc.marker)
		}
	}
}

// A sign-in can be made to fail as Qwen fails one (qwen-2026.md §1.2, §5:
// 401, 405, a 504 from the gateway, the WAF page, a rate limit), from Go or
// through POST /__sim/faults with endpoint "auths/signin": only
// FailSignIns, from Go, could make one fail, so a server run with
// --mock-upstream could not be shown a sign-in's 429 or 5xx.
func TestASignInTakesInjectedFaults(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.AddAccount("ada@example.com", "pw")
	pwSum := sha256.Sum256([]byte("pw"))
	signIn := `{"email":"ada@example.com","password":"` + hex.EncodeToString(pwSum[:]) + `"}`
	resp, err := http.Post(srv.URL+"/__sim/faults", "application/json",
		strings.NewReader(`[{"endpoint":"auths/signin","status":429,"retry_after":"7"},{"endpoint":"auths/signin","gateway_timeout":true,"status":504}]`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, want := range []struct {
		status int
		marker string
	}{{429, "Too Many Requests"}, {504, "504 Gateway Time-out"}, {200, `"token"`}} {
		status, _, body := webCall(t, srv, "/api/v1/auths/signin", signIn, func(r *http.Request) { r.Header.Del("Cookie") })
		if status != want.status || !strings.Contains(body, want.marker) {
			t.Fatalf("sign-in: %d %.200s, want %d with %q", status, body, want.status, want.marker)
		}
	}
	if n := srv.SignIns("ada@example.com"); n != 1 {
		t.Fatalf("%d successful sign-ins, want 1", n)
	}
}
