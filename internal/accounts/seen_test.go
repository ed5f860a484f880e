package accounts_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/store/storetest"
)

// countingStore counts the writes that mark environment accounts seen.
type countingStore struct {
	qp.AccountStore
	ensures atomic.Int32
}

func (s *countingStore) EnsureAccount(ctx context.Context, id, source string, now time.Time) error {
	s.ensures.Add(1)
	return s.AccountStore.EnsureAccount(ctx, id, source, now)
}

// A running server says, now and then, that it has the accounts of its
// QWEN_ACCOUNTS: its exchange marks their rows seen at start and then every
// qp.EnvironmentSeenInterval (not at every exchange). A row removed while it
// runs (it looked like no server's) is written again by the next exchange,
// and a row stored over leaves the server its own account.
func TestARunningPoolSaysItHasItsEnvironmentAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := &countingStore{AccountStore: storetest.Open(t, dbURL)}
		ctx := context.Background()
		var mu sync.Mutex
		clock := time.UnixMilli(time.Now().UnixMilli())
		now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
		advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
		p := accounts.New(accounts.Config{Store: st, Now: now, Logins: []accounts.Login{{Email: "bob@x.io", Password: "pw"}},
			SignIn: func(context.Context, accounts.Login) (accounts.SignedIn, error) {
				return accounts.SignedIn{Cookies: "token=x", Expires: now().Add(time.Hour)}, nil
			}})
		row := func() *qp.AccountRecord {
			t.Helper()
			all, err := st.Accounts(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != 1 {
				return nil
			}
			return &all[0]
		}
		exchange := func() {
			t.Helper()
			if err := p.Sync(ctx); err != nil { // what the background loop does every 2 s
				t.Fatal(err)
			}
		}

		exchange() // at start
		start := now()
		if r := row(); r == nil || r.Source != qp.AccountEnvironment || !r.SeenAt.Equal(start) {
			t.Fatalf("after the start: %+v", r)
		}
		for range 5 { // exchanges within the interval write nothing
			advance(5 * time.Second)
			exchange()
		}
		if r := row(); !r.SeenAt.Equal(start) || st.ensures.Load() != 1 {
			t.Fatalf("within the interval: seen at %v, %d writes", r.SeenAt, st.ensures.Load())
		}
		advance(qp.EnvironmentSeenInterval - 25*time.Second)
		exchange()
		if r := row(); !r.SeenAt.Equal(now()) || st.ensures.Load() != 2 {
			t.Fatalf("after the interval: seen at %v (now %v), %d writes", r.SeenAt, now(), st.ensures.Load())
		}

		// The row is removed while the server runs (its database was out of
		// its reach long enough): the next exchange writes it again, with
		// the state this server knows.
		p.Report("bob@x.io", &qwen.Error{Kind: qwen.KindRateLimited, Code: "RateLimited", RetryAfter: time.Hour})
		exchange()
		if err := st.DeleteAccount(ctx, "bob@x.io", now().Add(qp.EnvironmentAccountLapse+time.Second)); err != nil {
			t.Fatal(err)
		}
		advance(time.Second)
		exchange()
		r := row()
		if r == nil || r.Source != qp.AccountEnvironment || !r.SeenAt.Equal(now()) || r.State != accounts.StateRateLimited {
			t.Fatalf("after the row was removed: %+v", r)
		}

		// Stored over once it looked like no server's: this server keeps
		// signing its own account in with its password.
		later := now().Add(qp.EnvironmentAccountLapse + time.Second)
		if err := st.PutAccount(ctx, qp.AccountRecord{ID: "bob@x.io", Source: qp.AccountStored, PasswordSealed: "v1.k.other", CreatedAt: later, UpdatedAt: later}); err != nil {
			t.Fatal(err)
		}
		advance(qp.EnvironmentSeenInterval)
		exchange()
		snap := p.Snapshot()
		if len(snap) != 1 || snap[0].Source != qp.AccountEnvironment {
			t.Fatalf("the server's account after it was stored over: %+v", snap)
		}
		if c, err := p.Credentials(accounts.With(ctx, "bob@x.io")); err != nil || c.Cookies != "token=x" {
			t.Fatalf("credentials: %+v %v", c, err)
		}
	})
}
