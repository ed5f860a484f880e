package accounts

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
)

// The pasted cookie out after repeated bare 403s was given a signed-in
// account's advice: the client's 401 said "try from another network, then
// `qwenproxy accounts reset`", which refuses the cookie (its state is each
// server's own, in memory), and the log said "its password was not
// refused" of a cookie that has none. Every message now says what ends
// it for the cookie — a fresh Cookie header or a restart — and keeps
// `accounts reset` for the accounts it works on.
func TestTheCookieOutAfterBare403sIsToldWhatEndsIt(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	var logged bytes.Buffer
	p := New(Config{Cookie: qwen.Credentials{Cookies: "token=x"}, Now: clock.now, BriefCooldown: 5 * time.Second, MaxBriefCooldown: time.Minute,
		Logins: []Login{{"ada@x.io", "pw"}}, Log: slog.New(slog.NewTextHandler(&logged, nil)),
		SignIn: func(context.Context, Login) (SignedIn, error) { return SignedIn{Cookies: "token=y"}, nil }})
	forbidden := &qwen.Error{Kind: qwen.KindAuth, Status: 403, Message: "Forbidden"}
	for range forbiddenStrikes {
		p.Report(CookieID, forbidden)
		p.Report("ada@x.io", forbidden)
		for _, st := range p.Snapshot() {
			if st.CooldownUntil != nil && st.CooldownUntil.After(clock.now()) {
				clock.add(st.CooldownUntil.Sub(clock.now()))
			}
		}
	}
	for _, st := range p.Snapshot() {
		if st.State != StateAuthFailed || st.FailureClass != string(ClassForbidden) {
			t.Fatalf("after %d 403s: %+v", forbiddenStrikes, st)
		}
	}
	wrongForCookie := func(s string) bool {
		return strings.Contains(s, "accounts reset cookie") || strings.Contains(s, "password was not refused")
	}
	toldForCookie := func(s string) bool {
		return strings.Contains(s, "restart") && strings.Contains(s, "Cookie header")
	}

	// The log: one warning per account, each with its own advice.
	var cookieLine, adaLine string
	for _, line := range strings.Split(logged.String(), "\n") {
		switch {
		case strings.Contains(line, "account=cookie") && strings.Contains(line, "403"):
			cookieLine = line
		case strings.Contains(line, "account=ada@x.io") && strings.Contains(line, "403"):
			adaLine = line
		}
	}
	if wrongForCookie(cookieLine) || !toldForCookie(cookieLine) {
		t.Errorf("the log's warning for the cookie:\n%s", cookieLine)
	}
	if !strings.Contains(adaLine, "accounts reset ada@x.io") {
		t.Errorf("the log's warning for the signed-in account:\n%s", adaLine)
	}

	// `accounts test` of the cookie once a 403 took it out.
	if advice := ForbiddenAdvice(CookieID, true); wrongForCookie(advice) || strings.Contains(advice, "or it is reset") || !toldForCookie(advice) {
		t.Errorf("the cookie's advice: %s", advice)
	}

	// The client's 401, with both out: each kind told what ends it.
	_, err := p.Credentials(context.Background())
	var u *Unavailable
	if !errors.As(err, &u) || u.Reason != ReasonRejected {
		t.Fatalf("a call with every account out: %v", err)
	}
	if msg := u.Error(); strings.Contains(msg, "password was not refused") || !strings.Contains(msg, "accounts reset") || !toldForCookie(msg) ||
		!strings.Contains(msg, "not `accounts reset`") {
		t.Errorf("the client's message with the cookie and an account out after 403s:\n%s", msg)
	}
	// The cookie alone.
	q := New(Config{Cookie: qwen.Credentials{Cookies: "token=x"}, Now: clock.now, BriefCooldown: 5 * time.Second, MaxBriefCooldown: time.Minute})
	for range forbiddenStrikes {
		q.Report(CookieID, forbidden)
		if st := q.Snapshot()[0]; st.CooldownUntil != nil && st.CooldownUntil.After(clock.now()) {
			clock.add(st.CooldownUntil.Sub(clock.now()))
		}
	}
	_, err = q.Credentials(context.Background())
	if !errors.As(err, &u) {
		t.Fatalf("a call with the cookie out: %v", err)
	}
	if msg := u.Error(); strings.Contains(msg, "then `qwenproxy accounts reset`") || !toldForCookie(msg) {
		t.Errorf("the client's message with the cookie out after 403s:\n%s", msg)
	}
}
