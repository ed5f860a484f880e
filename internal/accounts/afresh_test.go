package accounts_test

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/logtest"
	"qwenproxy/internal/store/storetest"
)

// TestARekeyLeavesAStoredAccountAsItWas: the same password sealed again
// under a new key (`accounts rekey`) changes nothing of a stored account on
// a running server — its refusal stands, is not warned of again, and does
// not start it afresh (Afresh, after which /health tells its refusals) —
// while a new password (`accounts add` again) does. Each instance rebuilt
// the account on a rekey, warning of its refusal once more.
func TestARekeyLeavesAStoredAccountAsItWas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		sealer, err := accounts.NewSealer(testSecretKey)
		if err != nil {
			t.Fatal(err)
		}
		const id = "ada@example.com"
		now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
		put := func(password string) { t.Helper(); putStored(t, st, sealer, id, password, now) }
		var signIns atomic.Int32
		refuse := func(context.Context, accounts.Login) (accounts.SignedIn, error) {
			signIns.Add(1)
			return accounts.SignedIn{}, &accounts.SignInError{Class: accounts.ClassAuth, Status: 401, Message: "refused"}
		}
		var logs logtest.Buffer
		p := accounts.New(accounts.Config{Store: st, Sealer: sealer, SignIn: refuse, Now: func() time.Time { return now },
			Log: slog.New(slog.NewTextHandler(&logs, nil))})
		status := func() accounts.Status {
			t.Helper()
			for range 2 {
				if err := p.Sync(ctx); err != nil {
					t.Fatal(err)
				}
			}
			for _, s := range p.Snapshot() {
				if s.ID == id {
					return s
				}
			}
			t.Fatalf("no %s in %+v", id, p.Snapshot())
			return accounts.Status{}
		}

		put("first password")
		if s := status(); !s.Afresh.Equal(now) {
			t.Fatalf("a new account: %+v, want afresh %v", s, now)
		}
		added := now
		if _, err := p.Credentials(accounts.With(ctx, id)); accounts.ClassOf(err) != accounts.ClassAuth {
			t.Fatalf("sign-in: %v", err)
		}
		if s := status(); s.State != accounts.StateAuthFailed || signIns.Load() != 1 {
			t.Fatalf("after the refusal: %+v, %d sign-ins", s, signIns.Load())
		}
		if n := strings.Count(logs.String(), "credentials rejected"); n != 1 {
			t.Fatalf("the refusal warned of %d times:\n%s", n, logs.String())
		}

		now = now.Add(time.Minute)
		if _, err := st.ResealAccounts(ctx, func(id, sealed string) (string, error) { return sealer.Reseal(sealed, id) }); err != nil {
			t.Fatal(err)
		}
		if s := status(); s.State != accounts.StateAuthFailed || !s.Afresh.Equal(added) || signIns.Load() != 1 {
			t.Fatalf("the same password sealed again: %+v (want afresh %v), %d sign-ins", s, added, signIns.Load())
		}
		if n := strings.Count(logs.String(), "credentials rejected"); n != 1 {
			t.Fatalf("the refusal warned of %d times after a rekey:\n%s", n, logs.String())
		}

		now = now.Add(time.Minute)
		put("second password")
		if s := status(); s.State != accounts.StateReady || !s.Afresh.Equal(now) {
			t.Fatalf("a new password: %+v, want ready, afresh %v", s, now)
		}
	})
}

// TestARekeyDoesNotWarnOfAShadowedPasswordAgain: an account of
// QWEN_ACCOUNTS that is stored too is warned of once; the stored password
// sealed again (`accounts rekey`) is no new one, and was warned of again on
// every server; a new stored password still is.
func TestARekeyDoesNotWarnOfAShadowedPasswordAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		sealer, err := accounts.NewSealer(testSecretKey)
		if err != nil {
			t.Fatal(err)
		}
		const id = "ada@example.com"
		put := func(password string) { t.Helper(); putStored(t, st, sealer, id, password, time.Now()) }
		var logs logtest.Buffer
		p := accounts.New(accounts.Config{Store: st, Sealer: sealer, Logins: []accounts.Login{{Email: id, Password: "the environment's"}},
			Log: slog.New(slog.NewTextHandler(&logs, nil))})
		warnings := func() int {
			t.Helper()
			for range 2 {
				if err := p.Sync(ctx); err != nil {
					t.Fatal(err)
				}
			}
			return strings.Count(logs.String(), "is stored too")
		}
		put("stored password")
		if n := warnings(); n != 1 {
			t.Fatalf("the stored password warned of %d times:\n%s", n, logs.String())
		}
		if _, err := st.ResealAccounts(ctx, func(id, sealed string) (string, error) { return sealer.Reseal(sealed, id) }); err != nil {
			t.Fatal(err)
		}
		if n := warnings(); n != 1 {
			t.Fatalf("after a rekey, warned of %d times:\n%s", n, logs.String())
		}
		put("another stored password")
		if n := warnings(); n != 2 {
			t.Fatalf("a new stored password warned of %d times in all:\n%s", n, logs.String())
		}
	})
}

// putStored stores account id with password sealed by sealer, ready, as
// `accounts add` does (again: a new sealed value each time).
func putStored(t *testing.T, st qp.AccountStore, sealer *accounts.Sealer, id, password string, at time.Time) {
	t.Helper()
	sealed, err := sealer.Seal(password, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutAccount(context.Background(), qp.AccountRecord{ID: id, Source: qp.AccountStored, PasswordSealed: sealed,
		AccountState: qp.AccountState{State: accounts.StateReady}, CreatedAt: at, UpdatedAt: at}); err != nil {
		t.Fatal(err)
	}
}
