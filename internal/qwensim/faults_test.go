package qwensim

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
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

// A fault's retry_after is its Retry-After header, whose value is seconds:
// given as a number (as every other field of a fault that counts is), it
// was refused with "faults must be a JSON array", of a body that was one.
// A list whose faults cannot be read says which field is wrong.
func TestAFaultsRetryAfterIsANumberOrAString(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	post := func(body string) (int, string) {
		resp, err := http.Post(srv.URL+"/__sim/faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, given := range []string{`30`, `"30"`} {
		if status, body := post(`[{"endpoint":"models","status":429,"retry_after":` + given + `}]`); status != http.StatusNoContent {
			t.Fatalf("retry_after %s: %d %s", given, status, body)
		}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v2/models/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "30" {
			t.Fatalf("retry_after %s: %d, Retry-After %q; want 429 with 30", given, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	for body, want := range map[string]string{
		`{"status":500}`:                      "a JSON array",
		`[{"status":429,"retry_after":true}]`: "retry_after",
		`[{"times":"two"}]`:                   "times",
	} {
		status, got := post(body)
		if status != http.StatusBadRequest || !strings.Contains(got, want) {
			t.Errorf("%s: %d %q, want 400 naming %q", body, status, got, want)
		}
		if strings.HasPrefix(body, "[") && strings.Contains(got, "must be a JSON array") {
			t.Errorf("%s, an array, was answered %q", body, got)
		}
	}
}

// Faults injected from outside can be dropped before they are taken:
// DELETE /__sim/faults says how many calls they would have taken. A fault
// injected with a large "times" (a firewall for 50 calls) otherwise took
// calls until the server with --mock-upstream was restarted.
func TestInjectedFaultsCanBeCleared(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/__sim/faults", "application/json", strings.NewReader(`[{"endpoint":"models","status":503,"times":50},{"endpoint":"models","status":500}]`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	models := func() int {
		resp, err := http.Get(srv.URL + "/api/v2/models/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := models(); got != http.StatusServiceUnavailable {
		t.Fatalf("the injected fault was not taken: %d", got)
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/__sim/faults", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(b)) != `{"cleared":50}` {
		t.Fatalf("DELETE /__sim/faults: %d %s, want 200 {\"cleared\":50}", resp.StatusCode, b)
	}
	if got := models(); got != http.StatusOK {
		t.Fatalf("a cleared fault was taken: %d", got)
	}
}
