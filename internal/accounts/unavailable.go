package accounts

import (
	"fmt"
	"time"
)

// Reasons no account can take a call.
const (
	ReasonNone        = "none_configured" // 503: configure QWEN_ACCOUNTS or QWEN_COOKIES
	ReasonRateLimited = "rate_limited"    // 429 with Retry-After: every account is over its quota
	ReasonRejected    = "rejected"        // 401: Qwen refused every account's credentials
	ReasonCoolingDown = "cooling_down"    // 503 with Retry-After: firewall, 5xx, connection failures
)

// Unavailable is returned when no account can take a call.
type Unavailable struct {
	Reason     string
	Accounts   int           // how many are configured
	RetryAfter time.Duration // until the first cooldown ends; 0 when none will
	// Last is the failure of the last account tried in this call, if any:
	// its detail completes the message. (Not unwrapped: the call failed for
	// want of an account, which is how it is classified.)
	Last error
}

func (u *Unavailable) Error() string {
	if u.Last != nil {
		return u.message() + " (the last: " + u.Last.Error() + ")"
	}
	return u.message()
}

func (u *Unavailable) message() string {
	if u.Accounts == 0 {
		return "no Qwen account is configured: set QWEN_ACCOUNTS (or `qwenproxy accounts add`) or QWEN_COOKIES"
	}
	switch u.Reason {
	case ReasonRateLimited:
		return fmt.Sprintf("every Qwen account (%d) has reached its usage limit; the first is usable again in %s", u.Accounts, u.RetryAfter.Round(time.Second))
	case ReasonRejected:
		return fmt.Sprintf("Qwen rejected the credentials of every account (%d): check the passwords, or capture a fresh Cookie", u.Accounts)
	}
	return fmt.Sprintf("every Qwen account (%d) is cooling down after failures; the first is usable again in %s", u.Accounts, u.RetryAfter.Round(time.Second))
}
