package accounts

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Reasons no account can take a call.
const (
	ReasonNone        = "none_configured" // 503: configure QWEN_ACCOUNTS or QWEN_COOKIES
	ReasonRateLimited = "rate_limited"    // 429 with Retry-After: every usable account is over its quota
	ReasonRejected    = "rejected"        // 401: Qwen refused every account's credentials (or they are locked)
	ReasonCoolingDown = "cooling_down"    // 503 with Retry-After: firewall, 5xx, connection failures
)

// Unavailable is returned when no account can take a call. Each account
// is counted in the one state it is in.
type Unavailable struct {
	Reason      string
	Accounts    int           // how many are configured
	RetryAfter  time.Duration // until the first cooldown ends; 0 when none will
	CoolingDown int           // after firewall, 5xx or connection failures
	// CoolingCauses are the failure classes the cooling accounts rest
	// after, each once, in the order of coolingCauses: the message says
	// them, so that a client (and its user) told "overloaded" knows
	// whether Qwen's firewall, its servers or the network is the cause.
	CoolingCauses  []Class
	RateLimited    int  // over Qwen's usage limit, or asked to slow down
	Rejected       int  // credentials refused by Qwen
	RejectedCookie bool // the pasted cookie is among the rejected (not for 403s)
	Forbidden      int  // of the rejected, those out after repeated bare 403s (ClassForbidden)
	// ForbiddenCookie says that the pasted cookie is among Forbidden: it
	// is not brought back with `accounts reset`, as the others are.
	ForbiddenCookie bool
	Locked          int // stored secrets no configured key opens
	Tried           int // usable, but already tried in this call
	// Last is the failure of the last account tried in this call, if any:
	// its detail completes the message. (Not unwrapped: the call failed for
	// want of an account, which is how it is classified.)
	Last error
	// cookieAdvice is Config.CookieAdvice: what brings the pasted cookie
	// back, where copying a fresh Cookie header is not it.
	cookieAdvice string
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
	// Whole seconds, rounded up as Retry-After is: the message and the
	// header name the same wait.
	wait := time.Duration(math.Ceil(u.RetryAfter.Seconds())) * time.Second
	switch u.Accounts {
	case u.RateLimited:
		return fmt.Sprintf("every Qwen account (%d) is rate-limited by Qwen (over its usage limit, or asked to slow down); the first is usable again in %s "+
			"(retry then, or add another account to QWEN_ACCOUNTS or with `qwenproxy accounts add` to go on sooner)", u.Accounts, wait)
	case u.CoolingDown:
		return fmt.Sprintf("every Qwen account (%d) is cooling down after failures%s; the first is usable again in %s", u.Accounts, u.coolingCause(), wait)
	case u.Rejected:
		return fmt.Sprintf("Qwen rejected the credentials of every account (%d): %s", u.Accounts, u.rejectedAdvice())
	case u.Locked:
		return fmt.Sprintf("every Qwen account (%d) is locked: its stored secret cannot be opened without the QWENPROXY_SECRET_KEY it was stored with", u.Accounts)
	}
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(u.CoolingDown, "cooling down after failures"+u.coolingCause())
	add(u.RateLimited, "rate-limited by Qwen")
	add(u.Rejected, "rejected by Qwen ("+u.rejectedAdvice()+")")
	add(u.Locked, "locked (its stored secret needs the QWENPROXY_SECRET_KEY it was stored with)")
	add(u.Tried, "already tried in this call")
	msg := fmt.Sprintf("no Qwen account can take the call (%d configured): %s", u.Accounts, strings.Join(parts, ", "))
	if u.RetryAfter > 0 {
		msg += fmt.Sprintf("; the first is usable again in %s", wait)
	}
	return msg
}

// coolingCauses are the failure classes an account cools down after, in
// the order a message names them, and coolingWords what it says of each.
var (
	coolingCauses = []Class{ClassFirewall, ClassForbidden, ClassServer, ClassNetwork}
	coolingWords  = map[Class]string{
		ClassFirewall:  "Qwen's firewall or a captcha page",
		ClassForbidden: "a bare HTTP 403: a ban, or Qwen's firewall blocking this address",
		ClassServer:    "Qwen's server errors (5xx)",
		ClassNetwork:   "Qwen unreachable",
	}
)

// addCoolingCause notes class among CoolingCauses, once, in coolingCauses'
// order; a class it does not hold is not said.
func (u *Unavailable) addCoolingCause(class Class) {
	if !slices.Contains(coolingCauses, class) || slices.Contains(u.CoolingCauses, class) {
		return
	}
	u.CoolingCauses = append(u.CoolingCauses, class)
	slices.SortFunc(u.CoolingCauses, func(a, b Class) int {
		return slices.Index(coolingCauses, a) - slices.Index(coolingCauses, b)
	})
}

// coolingCause is " (…)" naming CoolingCauses, "" when none is known.
func (u *Unavailable) coolingCause() string {
	if len(u.CoolingCauses) == 0 {
		return ""
	}
	words := make([]string, len(u.CoolingCauses))
	for i, c := range u.CoolingCauses {
		words[i] = coolingWords[c]
	}
	return " (" + strings.Join(words, "; ") + ")"
}

// rejectedAdvice says what fixes the rejected accounts.
func (u *Unavailable) rejectedAdvice() string {
	forbidden := "refused with a bare HTTP 403 several times in a row (a ban, or as likely Qwen's firewall blocking this address: " +
		"try from another network, then `qwenproxy accounts reset`)"
	switch {
	case u.ForbiddenCookie && u.Forbidden == 1 && u.cookieAdvice != "":
		forbidden = "refused with a bare HTTP 403 several times in a row (" + u.cookieAdvice + ")"
	case u.ForbiddenCookie && u.Forbidden == 1:
		forbidden = "refused with a bare HTTP 403 several times in a row (a ban, or as likely Qwen's firewall blocking this address: " +
			"try from another network, then " + cookieOutRemedy + ")"
	case u.ForbiddenCookie:
		forbidden = "refused with a bare HTTP 403 several times in a row (a ban, or as likely Qwen's firewall blocking this address: " +
			"try from another network, then `qwenproxy accounts reset` each signed-in one; for the pasted cookie, " + cmp.Or(u.cookieAdvice, cookieOutRemedy) + ")"
	}
	switch {
	case u.Forbidden == u.Rejected:
		return forbidden
	case u.Forbidden > 0:
		others := &Unavailable{Rejected: u.Rejected - u.Forbidden, RejectedCookie: u.RejectedCookie, cookieAdvice: u.cookieAdvice}
		return fmt.Sprintf("%d %s; for the others, %s", u.Forbidden, forbidden, others.rejectedAdvice())
	case u.RejectedCookie && u.Rejected == 1:
		return cmp.Or(u.cookieAdvice, "capture a fresh Cookie header from a signed-in chat.qwen.ai tab")
	case u.RejectedCookie && u.cookieAdvice != "":
		return "check the e-mail and password of the signed-in accounts; for the pasted cookie, " + u.cookieAdvice
	case u.RejectedCookie:
		return "check the e-mail and password of the signed-in accounts, and capture a fresh Cookie header for the pasted one"
	}
	return "check the accounts' e-mail and password"
}
