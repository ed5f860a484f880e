package accounts_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/logtest"
	"qwenproxy/internal/store/storetest"
)

// TestAPasswordRefusedHereIsNotTriedAgainWhenAnotherInstanceSignsIn: two
// instances share one account with different passwords (a rolling password
// change: one has the new, one the old). Each success of the instance with
// the right password made the shared row ready, and the other signed in
// with its refused password again at its next exchange, every few seconds
// for as long as both ran. Its password is not tried again until it
// changes; with a key it may still use the token the other instance got.
func TestAPasswordRefusedHereIsNotTriedAgainWhenAnotherInstanceSignsIn(t *testing.T) {
	for _, keyed := range []bool{false, true} {
		name := "without a key"
		if keyed {
			name = "with a key"
		}
		t.Run(name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, dbURL string) {
				st := storetest.Open(t, dbURL)
				var wrong, right atomic.Int32
				signIn := func(ctx context.Context, l accounts.Login) (accounts.SignedIn, error) {
					if l.Password != "new password" {
						wrong.Add(1)
						return accounts.SignedIn{}, &accounts.SignInError{Class: accounts.ClassAuth, Status: 401, Message: "The email or password provided is incorrect."}
					}
					n := right.Add(1)
					return accounts.SignedIn{Cookies: "token=right-" + string(rune('0'+n)), Expires: time.Now().Add(time.Hour + time.Duration(n)*time.Second)}, nil
				}
				cfg := func(pw string) accounts.Config {
					c := accounts.Config{Store: st, Logins: []accounts.Login{{Email: "q@example.com", Password: pw}}, SignIn: signIn}
					if keyed {
						sealer, err := accounts.NewSealer(testSecretKey)
						if err != nil {
							t.Fatal(err)
						}
						c.Sealer = sealer
					}
					return c
				}
				logB := &logtest.Buffer{}
				cb := cfg("old password")
				cb.Log = slog.New(slog.NewTextHandler(logB, nil))
				b := accounts.New(cb)
				a := accounts.New(cfg("new password"))
				ctx := accounts.With(context.Background(), "q@example.com")
				sync := func(p *accounts.Pool) {
					t.Helper()
					if err := p.Sync(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
				sync(b)
				if _, err := b.Credentials(ctx); accounts.ClassOf(err) != accounts.ClassAuth {
					t.Fatalf("the old password: %v, want the refusal", err)
				}
				sync(b)
				for round := range 4 {
					sync(a)
					if _, err := a.Credentials(ctx); err != nil {
						t.Fatalf("round %d: the new password: %v", round, err)
					}
					if ok, err := a.Refresh(ctx, "q@example.com", mustCookies(t, a, ctx), nil); !ok || err != nil {
						t.Fatalf("round %d: refresh %v %v", round, ok, err)
					}
					sync(a)
					sync(b)
					c, err := b.Credentials(ctx)
					if keyed {
						if err != nil || c.Cookies == "" {
							t.Fatalf("round %d: the instance with the old password and the key: %q %v, want the other's token", round, c.Cookies, err)
						}
					} else if accounts.ClassOf(err) != accounts.ClassAuth {
						t.Fatalf("round %d: the instance with the old password: %q %v, want its refusal", round, c.Cookies, err)
					}
					sync(b)
				}
				if n := wrong.Load(); n != 1 {
					t.Fatalf("%d sign-ins with the refused password, want 1:\n%s", n, logB)
				}
				for _, s := range b.Snapshot() {
					if !keyed && (s.Usable || s.State != accounts.StateAuthFailed) {
						t.Fatalf("the instance with the refused password shows %+v", s)
					}
				}
			})
		})
	}
}

func mustCookies(t *testing.T, p *accounts.Pool, ctx context.Context) string {
	t.Helper()
	c, err := p.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c.Cookies
}
