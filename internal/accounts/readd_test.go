package accounts_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/store/storetest"
)

// TestAddingTheSamePasswordAgainTriesItAgain: `accounts add` again with the
// password Qwen refused (fixed at Qwen meanwhile) is the owner's word to
// try it again, as the refusal's warning and README advise — unlike
// `accounts rekey`, which seals the same password again and changes
// nothing. The server kept the account auth_failed (the password, being
// the same, was still "refused here") while the store said ready.
func TestAddingTheSamePasswordAgainTriesItAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		sealer, err := accounts.NewSealer(testSecretKey)
		if err != nil {
			t.Fatal(err)
		}
		const id = "erin@example.com"
		now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
		var known atomic.Bool // whether Qwen takes the password
		var signIns atomic.Int32
		signIn := func(context.Context, accounts.Login) (accounts.SignedIn, error) {
			signIns.Add(1)
			if !known.Load() {
				return accounts.SignedIn{}, &accounts.SignInError{Class: accounts.ClassAuth, Status: 401, Message: "refused"}
			}
			return accounts.SignedIn{Cookies: "token=t", Expires: now.Add(time.Hour)}, nil
		}
		p := accounts.New(accounts.Config{Store: st, Sealer: sealer, SignIn: signIn, Now: func() time.Time { return now }})
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

		putStored(t, st, sealer, id, "ErinPw5", now)
		status()
		if _, err := p.Credentials(accounts.With(ctx, id)); accounts.ClassOf(err) != accounts.ClassAuth {
			t.Fatalf("first sign-in: %v, want refused", err)
		}
		if s := status(); s.State != accounts.StateAuthFailed {
			t.Fatalf("after the refusal: %+v", s)
		}

		known.Store(true)
		now = now.Add(time.Minute)
		putStored(t, st, sealer, id, "ErinPw5", now)
		if s := status(); s.State != accounts.StateReady || !s.Usable {
			t.Fatalf("the same password stored again: %+v, want ready and usable", s)
		}
		if _, err := p.Credentials(accounts.With(ctx, id)); err != nil {
			t.Fatalf("sign-in after the password was stored again: %v", err)
		}
		if n := signIns.Load(); n != 2 {
			t.Fatalf("%d sign-ins, want 2 (the refused one, then the try after accounts add)", n)
		}
		if s := status(); s.State != accounts.StateReady || !s.SignedIn {
			t.Fatalf("after the sign-in: %+v", s)
		}
	})
}
