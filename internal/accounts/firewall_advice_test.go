package accounts

import (
	"strings"
	"testing"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
)

// accounts test and doctor, checking as an account the proxy signs in,
// advised on a firewall page to copy a fresh Cookie header, which is not
// used for it; the pasted cookie keeps that advice.
func TestAFirewallDiagnosisOfASignedInAccountIsItsOwn(t *testing.T) {
	err := &qwen.Error{Kind: qwen.KindFirewall, Message: "Qwen answered with a firewall page instead of JSON"}
	d := Diagnose("ada@x.io", qp.AccountStored, err)
	if d.Name != qwen.DiagnosisFirewall.Name || strings.Contains(d.Advice, "copy a fresh Cookie header") || !strings.Contains(d.Advice, "ada@x.io") {
		t.Fatalf("signed-in account: %+v", d)
	}
	if d := Diagnose(CookieID, "environment", err); d.Advice != qwen.DiagnosisFirewall.Advice {
		t.Fatalf("pasted cookie: %+v", d)
	}
}
