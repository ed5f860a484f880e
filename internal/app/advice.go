package app

import (
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/qwen"
)

// diagnoseAs is the diagnosis the log gives a failed call made as account
// (its id; "" when the call named none): for an account the proxy signs in,
// the account's advice (accounts.Diagnose), as doctor and `accounts test`
// give it, not the pasted cookie's "copy a fresh Cookie header", a header
// such an account never sends.
func diagnoseAs(account string, err error) qwen.Diagnosis {
	if account == "" {
		return qwen.Diagnose(err)
	}
	return accounts.Diagnose(account, "", err)
}
