package accounts_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/logtest"
	"qwenproxy/internal/store/storetest"
)

// TestSecretsTheServerCannotOpenAreLockedAndSaidOnce: a server started
// without the key that sealed the stored cookie (`credentials set`) and a
// stored account (`accounts add`) shows both locked, uses neither, and logs
// each once with what to do; with the key it opens the cookie.
func TestSecretsTheServerCannotOpenAreLockedAndSaidOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		sealer, err := accounts.NewSealer(testSecretKey)
		if err != nil {
			t.Fatal(err)
		}
		creds := accounts.SealedCredentials{Store: st, Sealer: sealer}
		if err := creds.SetQwenCredentials(ctx, qp.QwenCredentials{Token: "umid-1", Cookies: "acw_tc=1; token=h.eyJleHAiOjQxMDI0NDQ4MDB9.s", UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		sealedPw, err := sealer.Seal("pw", "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.PutAccount(ctx, qp.AccountRecord{ID: "ada@example.com", Source: qp.AccountStored, PasswordSealed: sealedPw,
			AccountState: qp.AccountState{State: accounts.StateReady}, CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}

		var logs logtest.Buffer
		p := accounts.New(accounts.Config{Store: st, Credentials: st, Log: slog.New(slog.NewTextHandler(&logs, nil))})
		for range 3 {
			if err := p.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
		snap := p.Snapshot()
		if len(snap) != 2 {
			t.Fatalf("snapshot: %+v", snap)
		}
		for _, s := range snap {
			if s.State != accounts.StateLocked || s.Usable || !strings.Contains(s.Problem, "QWENPROXY_SECRET_KEY") && !strings.Contains(s.Problem, "key") {
				t.Fatalf("%s: %+v", s.ID, s)
			}
			// No mode can be told of a cookie nothing opens (it said guest).
			if s.ID == accounts.CookieID && s.Mode != "" {
				t.Fatalf("the locked cookie's mode is %q", s.Mode)
			}
		}
		out := logs.String()
		if n := strings.Count(out, "stored credentials are locked"); n != 1 || !strings.Contains(out, "QWENPROXY_SECRET_KEY") {
			t.Fatalf("cookie lock logged %d times:\n%s", n, out)
		}
		if n := strings.Count(out, "stored account is locked"); n != 1 || !strings.Contains(out, "account=ada@example.com") {
			t.Fatalf("account lock logged %d times:\n%s", n, out)
		}
		if strings.Contains(out, "acw_tc") || strings.Contains(out, "umid-1") {
			t.Fatalf("a secret in the log:\n%s", out)
		}
		if _, err := p.Pick(nil); err == nil {
			t.Fatal("a locked account was picked")
		}

		// With the key, the sealed cookie opens and is used.
		p2 := accounts.New(accounts.Config{Store: st, Credentials: st, Sealer: sealer})
		if err := p2.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if id, err := p2.Pick(map[string]bool{"ada@example.com": true}); err != nil || id != accounts.CookieID {
			t.Fatalf("pick with the key: %q %v", id, err)
		}
	})
}

// A server started again with the password Qwen refused (the refusal is
// kept in the database, so the account is not signed in again) says so in
// its log, once, as the server that met the refusal did: it said nothing,
// and the operator saw only 401s and a not-ready health.
func TestARefusalFoundInTheDatabaseIsLoggedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		refuse := func(context.Context, accounts.Login) (accounts.SignedIn, error) {
			return accounts.SignedIn{}, &accounts.SignInError{Class: accounts.ClassAuth, Status: 401, Message: "refused"}
		}
		start := func(logs *logtest.Buffer) *accounts.Pool {
			return accounts.New(accounts.Config{Store: st, Logins: []accounts.Login{{Email: "env@x.io", Password: "Pw-9f3k"}},
				SignIn: refuse, Log: slog.New(slog.NewTextHandler(logs, nil))})
		}
		var first logtest.Buffer
		p := start(&first)
		if _, err := p.Credentials(accounts.With(ctx, "env@x.io")); accounts.ClassOf(err) != accounts.ClassAuth {
			t.Fatalf("sign-in: %v", err)
		}
		if err := p.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(first.String(), "credentials rejected") {
			t.Fatalf("the refusal is not logged:\n%s", first.String())
		}

		var again logtest.Buffer
		p2 := start(&again)
		for range 3 {
			if err := p2.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if s := p2.Snapshot()[0]; s.State != accounts.StateAuthFailed {
			t.Fatalf("after the restart: %+v", s)
		}
		out := again.String()
		if n := strings.Count(out, "credentials rejected"); n != 1 || !strings.Contains(out, "account=env@x.io") || !strings.Contains(out, "QWEN_ACCOUNTS") {
			t.Fatalf("the refusal found in the database is logged %d times:\n%s", n, out)
		}
		if strings.Contains(out, "Pw-9f3k") {
			t.Fatalf("the password in the log:\n%s", out)
		}
	})
}

// An instance that cannot open a stored account's password (no key, or only
// a key from before a rotation) leaves its refusal as it is: it ended it, as
// if its own credentials differed, so the instances holding the key signed
// the refused password in again, every sync.
func TestALockedAccountLeavesItsRefusalInPlace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		sealer, err := accounts.NewSealer(testSecretKey)
		if err != nil {
			t.Fatal(err)
		}
		sealedPw, err := sealer.Seal("wrong", "eve@example.com")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if err := st.PutAccount(ctx, qp.AccountRecord{ID: "eve@example.com", Source: qp.AccountStored, PasswordSealed: sealedPw,
			AccountState: qp.AccountState{State: accounts.StateReady}, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		keyed := accounts.New(accounts.Config{Store: st, Sealer: sealer, SignIn: func(context.Context, accounts.Login) (accounts.SignedIn, error) {
			return accounts.SignedIn{}, &accounts.SignInError{Class: accounts.ClassAuth, Message: "Qwen refused the e-mail or password"}
		}})
		if err := keyed.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := keyed.Credentials(accounts.With(ctx, "eve@example.com")); err == nil {
			t.Fatal("a refused password signed in")
		}
		if err := keyed.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		state := func() string {
			t.Helper()
			recs, err := st.Accounts(ctx, "")
			if err != nil || len(recs) != 1 {
				t.Fatal(recs, err)
			}
			return recs[0].State
		}
		if got := state(); got != accounts.StateAuthFailed {
			t.Fatalf("the refusal was stored as %q", got)
		}
		for _, key := range []string{"", "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"} {
			cfg := accounts.Config{Store: st}
			if key != "" {
				if cfg.Sealer, err = accounts.NewSealer(key); err != nil {
					t.Fatal(err)
				}
			}
			locked := accounts.New(cfg)
			for range 2 {
				if err := locked.Sync(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if got := state(); got != accounts.StateAuthFailed {
				t.Fatalf("an instance without the key (%q) made the refused account %q", key, got)
			}
		}
	})
}
