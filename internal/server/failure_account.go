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
//
// So does a refused token of a signed-in account, which was signed in
// afresh first: the cookie's advice told to paste a Cookie header.
func (f failure) madeAs(account string) failure {
	if account == "" || account == accounts.CookieID || f.api == nil {
		return f
	}
	qe, _ := qwen.AsError(f.cause)
	detail := func(fallback string) string {
		if qe != nil && qe.Message != "" {
			return qe.Message
		}
		return fallback
	}
	api := *f.api
	switch {
	case f.errType == qp.ErrorTypeUpstreamFirewall:
		api.Message = "Qwen's firewall refused the call (" + detail("a challenge page") + "). " + accounts.FirewallAdvice("")
	case f.api.Code == "upstream_credentials_rejected" && qe != nil:
		api.Message = "Qwen rejected the signed-in account's token (" + detail("HTTP 401") + "), even after signing it in afresh; " +
			"the account is not used until its credentials change: check them with `qwenproxy accounts test`"
	default:
		return f
	}
	f.api = &api
	return f
}
