package accounts_test

import (
	"context"
	"sync"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/store/storetest"
)

// heldStore holds its first read of the accounts, already read, until
// release is closed (or a bound passes: a sync that waits its turn never
// lets the test release it).
type heldStore struct {
	qp.AccountStore
	once    sync.Once
	read    chan struct{}
	release chan struct{}
}

func (s *heldStore) Accounts(ctx context.Context, upstream string) ([]qp.AccountRecord, error) {
	recs, err := s.AccountStore.Accounts(ctx, upstream)
	first := false
	s.once.Do(func() { first = true })
	if first {
		close(s.read)
		select {
		case <-s.release:
		case <-time.After(time.Second):
		}
	}
	return recs, err
}

// A sync that read the accounts before one was added, and adopted what it
// read after a later sync had adopted the new account, took it out again
// until the next exchange: a server's loop and `SyncAccounts` run together
// answered a call 503 credentials_missing (TestStoredAccountIsSignedIn…
// failed so in CI). Exchanges run one at a time.
func TestAnOlderReadOfTheAccountsIsNotAdoptedAfterANewerOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		sealer, err := accounts.NewSealer("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
		if err != nil {
			t.Fatal(err)
		}
		held := &heldStore{AccountStore: st, read: make(chan struct{}), release: make(chan struct{})}
		p := accounts.New(accounts.Config{Store: held, Sealer: sealer})
		older := make(chan error, 1)
		go func() { older <- p.Sync(ctx) }()
		<-held.read // that sync has read the accounts: none

		sealed, err := sealer.Seal("pw", "ada@x.io")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if err := st.PutAccount(ctx, qp.AccountRecord{ID: "ada@x.io", Source: qp.AccountStored, PasswordSealed: sealed, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		newer := make(chan error, 1)
		go func() { newer <- p.Sync(ctx) }()
		// Before the fix the newer sync ran beside the held one and ended
		// first; after it, it waits for the held one, released by the bound.
		select {
		case err = <-newer:
			close(held.release)
			if err == nil {
				err = <-older
			}
		case err = <-older:
			if err == nil {
				err = <-newer
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Snapshot(); len(got) != 1 || got[0].ID != "ada@x.io" {
			t.Fatalf("after both syncs: %+v, want the account added before the newer one", got)
		}
	})
}
