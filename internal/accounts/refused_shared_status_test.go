package accounts_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/store/storetest"
)

// Two instances (no key: each signs in for itself) share an account; Qwen
// then refuses its password to one. The refusal is shared, and the other
// takes the account out too, though the token it got before still lies
// unexpired in its memory: that token is not used while the refusal lasts,
// and its status said signed_in true with that token's expiry, beside
// auth_failed.
func TestAnAccountRefusedByAnotherInstanceShowsNoToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		var refused atomic.Bool
		var n atomic.Int32
		signIn := func(context.Context, accounts.Login) (accounts.SignedIn, error) {
			if refused.Load() {
				return accounts.SignedIn{}, &accounts.SignInError{Class: accounts.ClassAuth, Status: 401, Message: "The email or password provided is incorrect."}
			}
			return accounts.SignedIn{Cookies: "token=t" + string(rune('0'+n.Add(1))), Expires: time.Now().Add(8 * time.Hour)}, nil
		}
		cfg := accounts.Config{Store: st, Logins: []accounts.Login{{Email: "q@example.com", Password: "pw"}}, SignIn: signIn}
		a, b := accounts.New(cfg), accounts.New(cfg)
		ctx := accounts.With(context.Background(), "q@example.com")
		sync := func(p *accounts.Pool) {
			t.Helper()
			if err := p.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		sync(a)
		sync(b)
		cookiesA := mustCookies(t, a, ctx)
		mustCookies(t, b, ctx)
		sync(a)
		sync(b)
		if s := b.Snapshot()[0]; !s.SignedIn || s.TokenExpiresAt == nil || !s.Usable {
			t.Fatalf("b signed in: %+v", s)
		}
		refused.Store(true)
		if ok, err := a.Refresh(ctx, "q@example.com", cookiesA, nil); !ok || accounts.ClassOf(err) != accounts.ClassAuth {
			t.Fatalf("a's refresh with the refused password: %v %v", ok, err)
		}
		sync(a)
		sync(b)
		for name, p := range map[string]*accounts.Pool{"a": a, "b": b} {
			s := p.Snapshot()[0]
			if s.State != accounts.StateAuthFailed || s.Usable || s.SignedIn || s.TokenExpiresAt != nil {
				t.Errorf("%s after the refusal: state %s, usable %v, signed_in %v, token_expires_at %v; want auth_failed and no token",
					name, s.State, s.Usable, s.SignedIn, s.TokenExpiresAt)
			}
		}
	})
}
