package accounts_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/store/storetest"
)

// An account stored with accounts add that a server also has in its
// QWEN_ACCOUNTS is signed in with QWEN_ACCOUNTS's password: accounts ls
// said "stored", and a password stored again changed nothing, without a
// word in the log. The server warns once per stored password, naming the
// account (not a password) and what to do.
func TestAnEnvironmentAccountStoredTooIsSaid(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		now := time.UnixMilli(time.Now().UnixMilli())
		if err := st.PutAccount(ctx, qp.AccountRecord{ID: "bob@x.io", Source: qp.AccountStored, PasswordSealed: "v1.k.stored", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		p := accounts.New(accounts.Config{Store: st, Logins: []accounts.Login{{Email: "bob@x.io", Password: "env-secret"}},
			Log: slog.New(slog.NewTextHandler(&log, nil)),
			SignIn: func(context.Context, accounts.Login) (accounts.SignedIn, error) {
				return accounts.SignedIn{Cookies: "token=x", Expires: time.Now().Add(time.Hour)}, nil
			}})
		for range 3 {
			if err := p.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n := strings.Count(log.String(), "is stored too"); n != 1 || !strings.Contains(log.String(), "bob@x.io") || strings.Contains(log.String(), "env-secret") {
			t.Fatalf("%d warnings:\n%s", n, log.String())
		}
		if snap := p.Snapshot(); len(snap) != 1 || snap[0].Source != qp.AccountEnvironment {
			t.Fatalf("the server's account: %+v", snap)
		}
	})
}
