package server

import (
	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/qwen"
)

// madeAs gives a firewall's refusal of a call made as a signed-in account
// that account's advice: the pasted cookie's (open chat.qwen.ai, copy a
// fresh Cookie header) told an operator of signed-in accounts to paste a
// cookie the proxy does not use. The address is not shown to the client.
func (f failure) madeAs(account string) failure {
	if f.errType != qp.ErrorTypeUpstreamFirewall || account == "" || account == accounts.CookieID || f.api == nil {
		return f
	}
	detail := "a challenge page"
	if qe, ok := qwen.AsError(f.cause); ok && qe.Message != "" {
		detail = qe.Message
	}
	api := *f.api
	api.Message = "Qwen's firewall refused the call (" + detail + "). " + accounts.FirewallAdvice("")
	f.api = &api
	return f
}
