package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/store/storetest"
)

// `accounts reset` starts an account afresh on a running server: its run
// of bare 403s and its run of firewall rests begin again. The server took
// the reset's ready state but kept its counts, so that the next 403 took
// the account out at once ("refused with HTTP 403 3 times in a row") and
// the next firewall rest was twice the last (16 s after 1, 2, 4, 8).
func TestAccountsResetStartsTheAccountAfresh(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		clock := &resetClock{t: time.Now().Add(-time.Hour)} // behind the command's clock, as a server's is not ahead of it
		// One account for each run, each reset once: the command stamps the
		// reset with its own clock, which the states of this pool's, set
		// after it, follow by a millisecond each (states are ordered).
		const forbiddenID, firewallID, refusedID = "solo@example.com", "fw@example.com", "pw@example.com"
		var refuse atomic.Bool
		var signIns atomic.Int32
		pool := accounts.New(accounts.Config{Store: st, Logins: []accounts.Login{{Email: forbiddenID, Password: "pw"}, {Email: firewallID, Password: "pw"}, {Email: refusedID, Password: "pw"}}, Now: clock.now,
			BriefCooldown: time.Second, MaxBriefCooldown: time.Minute,
			SignIn: func(context.Context, accounts.Login) (accounts.SignedIn, error) {
				signIns.Add(1)
				if refuse.Load() {
					return accounts.SignedIn{}, &accounts.SignInError{Class: accounts.ClassAuth, Status: 401, Message: "The email or password provided is incorrect."}
				}
				return accounts.SignedIn{Cookies: "token=x", Expires: clock.now().Add(time.Hour)}, nil
			}})
		sync := func() {
			t.Helper()
			if err := pool.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
		state := func(id string) accounts.Status {
			for _, s := range pool.Snapshot() {
				if s.ID == id {
					return s
				}
			}
			t.Fatalf("no account %s", id)
			return accounts.Status{}
		}
		reset := func(id string) {
			t.Helper()
			sync()
			var out, errOut bytes.Buffer
			if code := runWithInput(ctx, append([]string{"accounts", "reset", id}, databaseFlag(dbURL)...), func(string) string { return "" },
				strings.NewReader(""), &out, &errOut); code != 0 {
				t.Fatalf("reset: %d %s%s", code, out.String(), errOut.String())
			}
			sync()
			if s := state(id); s.State != accounts.StateReady || !s.Usable {
				t.Fatalf("after the reset: %+v", s)
			}
		}
		// rest reports err and returns the rest it called for, then waits it out.
		rest := func(id string, err error) (time.Duration, accounts.Status) {
			t.Helper()
			pool.Report(id, err)
			s := state(id)
			if s.CooldownUntil == nil {
				return 0, s
			}
			d := s.CooldownUntil.Sub(clock.now())
			clock.add(d)
			return d, s
		}
		sync()
		forbidden := &qwen.Error{Kind: qwen.KindAuth, Status: 403, Message: "Forbidden"}
		for range 3 {
			rest(forbiddenID, forbidden)
		}
		if s := state(forbiddenID); s.State != accounts.StateAuthFailed || s.FailureClass != string(accounts.ClassForbidden) {
			t.Fatalf("after three 403s, each after a rest: %+v", s)
		}
		reset(forbiddenID)
		if d, s := rest(forbiddenID, forbidden); s.State != accounts.StateCoolingDown || d != time.Second {
			t.Fatalf("the first 403 after the reset: %+v (a rest of %v), want the first rest of a run (1s)", s, d)
		}

		firewall := &qwen.Error{Kind: qwen.KindFirewall, Message: "captcha"}
		for i := range 4 {
			if d, s := rest(firewallID, firewall); d != time.Second<<i {
				t.Fatalf("firewall %d: a rest of %v (%+v)", i+1, d, s)
			}
		}
		reset(firewallID)
		if d, s := rest(firewallID, firewall); d != time.Second {
			t.Fatalf("the first firewall page after the reset: a rest of %v (%+v), want 1s", d, s)
		}

		// A password Qwen refused (for a reason of its own) gets one more
		// try after a reset, and only one.
		refuse.Store(true)
		actx := accounts.With(ctx, refusedID)
		for range 2 {
			if _, err := pool.Credentials(actx); accounts.ClassOf(err) != accounts.ClassAuth {
				t.Fatalf("a refused password: %v", err)
			}
		}
		if n := signIns.Load(); n != 1 {
			t.Fatalf("%d sign-ins with the refused password, want 1", n)
		}
		reset(refusedID)
		refuse.Store(false)
		if c, err := pool.Credentials(actx); err != nil || c.Cookies != "token=x" || signIns.Load() != 2 {
			t.Fatalf("after the reset: %q %v, %d sign-ins", c.Cookies, err, signIns.Load())
		}
	})
}

type resetClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *resetClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *resetClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
