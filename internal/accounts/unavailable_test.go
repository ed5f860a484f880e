package accounts

import (
	"errors"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
)

// TestUnavailableCountsEachAccountInItsOwnState: a cookie account cooling
// down beside a locked stored account is not "every account (2) cooling
// down"; each state is counted and named, and a refusal's advice fits the
// credential refused.
func TestUnavailableCountsEachAccountInItsOwnState(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	p := New(Config{Now: clock.now, BriefCooldown: time.Minute, Cookie: qwen.Credentials{Cookies: "token=x"}})
	locked := newAccount("ada@example.com", qp.AccountStored, "", "")
	locked.locked = "cannot open the stored password"
	p.accounts[locked.id] = locked
	p.Report(CookieID, &qwen.Error{Kind: qwen.KindFirewall, Message: "page"})

	_, err := p.Pick(nil)
	var u *Unavailable
	if !errors.As(err, &u) {
		t.Fatalf("pick: %v", err)
	}
	msg := u.Error()
	if u.CoolingDown != 1 || u.Locked != 1 || strings.Contains(msg, "every") ||
		!strings.Contains(msg, "1 cooling down") || !strings.Contains(msg, "1 locked") || !strings.Contains(msg, "QWENPROXY_SECRET_KEY") {
		t.Fatalf("%+v: %s", u, msg)
	}

	// Both rejected: a signed-in account's refusal asks for its password,
	// the cookie's for a fresh cookie.
	p.mu.Lock()
	delete(p.accounts, locked.id)
	signed := newAccount("bob@example.com", qp.AccountEnvironment, "pw", "")
	p.accounts[signed.id] = signed
	p.mu.Unlock()
	p.Report(signed.id, &qwen.Error{Kind: qwen.KindAuth, Message: "refused"})
	if _, err := p.Pick(nil); !errors.As(err, &u) {
		t.Fatalf("pick: %v", err)
	}
	if msg := u.Error(); u.Rejected != 1 || u.CoolingDown != 1 || !strings.Contains(msg, "e-mail and password") || strings.Contains(msg, "Cookie") {
		t.Fatalf("%+v: %s", u, msg)
	}
	p.Report(CookieID, &qwen.Error{Kind: qwen.KindAuth, Message: "refused"})
	if _, err := p.Pick(nil); !errors.As(err, &u) || u.Reason != ReasonRejected ||
		!strings.Contains(u.Error(), "every account (2)") || !strings.Contains(u.Error(), "e-mail and password") || !strings.Contains(u.Error(), "Cookie header") {
		t.Fatalf("pick: %v", err)
	}
}

// TestUnavailableSaysWhatTheAccountsCoolDownAfter: a client refused because
// every account rests (Claude Code shows "Repeated 529 Overloaded errors")
// is told after what — Qwen's firewall, its servers, the network — each
// cause once, in one order; it was "cooling down after failures" alone, the
// cause only in the earlier calls' records.
func TestUnavailableSaysWhatTheAccountsCoolDownAfter(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	p := New(Config{Now: clock.now, BriefCooldown: time.Minute, Cookie: qwen.Credentials{Cookies: "token=x"}})
	p.Report(CookieID, &qwen.Error{Kind: qwen.KindFirewall, Message: "page"})
	var u *Unavailable
	if _, err := p.Pick(nil); !errors.As(err, &u) {
		t.Fatalf("pick: %v", err)
	}
	if msg := u.Error(); !strings.Contains(msg, "every Qwen account (1) is cooling down after failures (Qwen's firewall or a captcha page); the first is usable again in 1m0s") {
		t.Fatalf("%s", msg)
	}

	u = &Unavailable{Accounts: 3, CoolingDown: 2, Tried: 1}
	for _, c := range []Class{ClassNetwork, ClassFirewall, ClassNetwork, ClassTimeout} {
		u.addCoolingCause(c)
	}
	if msg := u.Error(); !strings.Contains(msg, "2 cooling down after failures (Qwen's firewall or a captcha page; Qwen unreachable), 1 already tried") {
		t.Fatalf("%s", msg)
	}
}

// TestUnavailableSaysTheWaitRetryAfterGives: the message's wait is rounded
// up to whole seconds, as the Retry-After header is; 8.4 s said "8s"
// beside "Retry-After: 9".
func TestUnavailableSaysTheWaitRetryAfterGives(t *testing.T) {
	for _, u := range []*Unavailable{{Accounts: 1, CoolingDown: 1, RetryAfter: 8400 * time.Millisecond},
		{Accounts: 2, RateLimited: 2, RetryAfter: 8001 * time.Millisecond}} {
		if msg := u.Error(); !strings.Contains(msg, "usable again in 9s") {
			t.Errorf("%+v: %s", u, msg)
		}
	}
}

// TestEveryAccountOverItsLimitSaysWhatToDo: the 429 a client gets when
// every account is over Qwen's quota says when to retry and how to go on
// sooner (another account); it said only when.
func TestEveryAccountOverItsLimitSaysWhatToDo(t *testing.T) {
	u := &Unavailable{Reason: ReasonRateLimited, Accounts: 3, RateLimited: 3, RetryAfter: time.Hour}
	if msg := u.Error(); !strings.Contains(msg, "usable again in 1h0m0s") || !strings.Contains(msg, "qwenproxy accounts add") {
		t.Fatalf("%s", msg)
	}
}

// TestEveryAccountRateLimitedDoesNotClaimTheQuota: an account that Qwen
// asked to slow down rests for seconds in the rate-limited state, as one
// over its quota rests for hours; the 429 said every account "has reached
// its usage limit", which sent the operator after a quota for a few
// seconds' throttling.
func TestEveryAccountRateLimitedDoesNotClaimTheQuota(t *testing.T) {
	for _, u := range []*Unavailable{
		{Reason: ReasonRateLimited, Accounts: 1, RateLimited: 1, RetryAfter: 3 * time.Second},
		{Reason: ReasonRateLimited, Accounts: 2, RateLimited: 1, CoolingDown: 1, RetryAfter: 3 * time.Second},
	} {
		msg := u.Error()
		if strings.Contains(msg, "reached its usage limit") || strings.Contains(msg, "over Qwen's usage limit") || !strings.Contains(msg, "rate-limited by Qwen") {
			t.Errorf("%s", msg)
		}
	}
}

// Every account out after repeated bare 403s was "Qwen rejected the
// credentials of every account: check the e-mail and password", though
// nothing said the credentials were wrong: the message says what the 403s
// may be, and what to try.
func TestUnavailableAfterRepeated403sSaysWhatTheyMayBe(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	p := New(Config{Cookie: qwen.Credentials{Cookies: "token=x"}, Now: clock.now, BriefCooldown: time.Second, MaxBriefCooldown: time.Minute})
	for range forbiddenStrikes {
		p.Report(CookieID, &qwen.Error{Kind: qwen.KindAuth, Status: 403, Message: "Forbidden"})
		if until := p.Snapshot()[0].CooldownUntil; until != nil {
			clock.add(until.Sub(clock.now()))
		}
	}
	var u *Unavailable
	if _, err := p.Pick(nil); !errors.As(err, &u) || u.Reason != ReasonRejected {
		t.Fatalf("pick: %v", err)
	}
	msg := u.Error()
	if u.Forbidden != 1 || !strings.Contains(msg, "HTTP 403") || !strings.Contains(msg, "firewall") ||
		!strings.Contains(msg, "accounts reset") || strings.Contains(msg, "e-mail and password") {
		t.Fatalf("%+v: %s", u, msg)
	}
}
