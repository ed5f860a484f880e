package qwensim

import (
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
