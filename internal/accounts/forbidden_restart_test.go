package accounts_test

import (
	"context"
	"sync"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/store/storetest"
)

// Three bare HTTP 403s in a row, each after the rest the one before called
// for, take an account out (a ban, or the firewall blocking this address).
// The count was each process's own: a server restarted between them — a
// crash loop, a deploy — began again at one each time and never took a
// banned account out. Kept with the account's state, it goes on across
// restarts; a success between still ends the run, as `accounts reset` does.
func TestRepeated403sTakeTheAccountOutAcrossRestarts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		var mu sync.Mutex
		now := time.Now()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		forbidden := &qwen.Error{Kind: qwen.KindAuth, Status: 403, Message: "Forbidden"}
		const id = "ada@x.io"
		// start is a server starting on the database: it reads the state
		// the ones before it left.
		start := func() *accounts.Pool {
			t.Helper()
			p := accounts.New(accounts.Config{Store: st, Logins: []accounts.Login{{Email: id, Password: "pw"}}, Now: clock,
				BriefCooldown: 5 * time.Second, MaxBriefCooldown: time.Minute,
				SignIn: func(context.Context, accounts.Login) (accounts.SignedIn, error) {
					return accounts.SignedIn{Cookies: "token=x", Expires: clock().Add(time.Hour)}, nil
				}})
			if err := p.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			return p
		}
		// meet reports the call's outcome, stores it (the server's next
		// exchange), and lets any rest it called for run out.
		meet := func(p *accounts.Pool, err error) accounts.Status {
			t.Helper()
			p.Report(id, err)
			if err := p.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			s := p.Snapshot()[0]
			mu.Lock()
			if s.CooldownUntil != nil {
				now = *s.CooldownUntil
			}
			now = now.Add(time.Millisecond)
			mu.Unlock()
			return s
		}

		// A 403, a restart, a 403, a restart, a 403: out.
		for i := 1; i <= 3; i++ {
			p := start()
			if !p.Usable(id) {
				t.Fatalf("start %d, before its 403: not usable: %+v", i, p.Snapshot()[0])
			}
			s := meet(p, forbidden)
			if i < 3 && s.State != accounts.StateCoolingDown {
				t.Fatalf("403 number %d: %+v, want a rest", i, s)
			}
		}
		if s := start().Snapshot()[0]; s.State != accounts.StateAuthFailed || s.FailureClass != string(accounts.ClassForbidden) || s.Usable {
			t.Fatalf("after three 403s in a row, a restart between each: %+v, want the account out (auth_failed, forbidden)", s)
		}

		// `accounts reset` starts the run again: a 403 after it is a first.
		reset := qp.AccountState{State: accounts.StateReady, FailureClass: accounts.ResetMark, StateAt: clock()}
		if err := st.SaveAccountState(ctx, id, "", reset); err != nil {
			t.Fatal(err)
		}
		if s := meet(start(), forbidden); s.State != accounts.StateCoolingDown {
			t.Fatalf("the first 403 after a reset: %+v, want a rest", s)
		}
		// A success ends the run, across restarts too: two more 403s
		// after it are the first and second — also when a sign-in had
		// already closed the ended rest (a ready state that still carried
		// the run, which the success left as it was).
		p := start()
		if _, err := p.SignInAgain(accounts.With(ctx, id), id); err != nil {
			t.Fatal(err)
		}
		if s := p.Snapshot()[0]; s.State != accounts.StateReady {
			t.Fatalf("after the sign-in that closed the rest: %+v", s)
		}
		meet(p, nil)
		for i := 1; i <= 2; i++ {
			if s := meet(start(), forbidden); s.State != accounts.StateCoolingDown {
				t.Fatalf("403 number %d after a success: %+v, want a rest", i, s)
			}
		}
	})
}
