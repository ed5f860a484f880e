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

// simulatedCookieAdvice is what brings the pasted cookie back when the
// built-in simulator refused it (serve --mock-upstream): it refuses a
// cookie only when a fault injected with POST /__sim/faults says so, so
// copying a fresh Cookie header from chat.qwen.ai, the pool's own advice,
// sent the user to a site the simulator stands in for. The cookie's state
// is each server's own, in memory, and a restarted server has a simulator
// without faults.
const simulatedCookieAdvice = "the built-in simulator (serve --mock-upstream) refused the cookie because a fault injected with POST /__sim/faults told it to: " +
	"restart `qwenproxy serve --mock-upstream` to use the cookie again (its state is kept in memory, and the new simulator has no faults)"
