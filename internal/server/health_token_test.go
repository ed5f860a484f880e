package server

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/qwen"
)

// With several accounts, health's top-level token fields (which the
// dashboard shows as the state of "Qwen credentials") are the soonest
// expiry of the accounts calls can use: an account resting over its daily
// quota, or refused, keeps its last token, which is not renewed while it
// rests; once that token passed its exp, health said token_expired and the
// dashboard "token expired", in red, while calls went on on the others.
func TestHealthsTokenExpiryIsThatOfTheUsableAccounts(t *testing.T) {
	var mu sync.Mutex
	at := time.Unix(1_800_000_000, 0)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return at }
	lifetime := map[string]time.Duration{"usable@x.io": 2 * time.Hour, "resting@x.io": 30 * time.Minute}
	pool := accounts.New(accounts.Config{Logins: []accounts.Login{{Email: "usable@x.io", Password: "1"}, {Email: "resting@x.io", Password: "2"}},
		Now: now, SignIn: func(_ context.Context, l accounts.Login) (accounts.SignedIn, error) {
			return accounts.SignedIn{Cookies: "token=x", Expires: now().Add(lifetime[l.Email])}, nil
		}})
	for id := range lifetime {
		if _, err := pool.Credentials(accounts.With(context.Background(), id)); err != nil {
			t.Fatal(err)
		}
	}
	pool.Report("resting@x.io", &qwen.Error{Kind: qwen.KindRateLimited, Code: "RateLimited", RetryAfter: 6 * time.Hour})
	mu.Lock()
	at = at.Add(time.Hour) // past the resting account's exp, not the usable one's
	mu.Unlock()
	s := New(Config{}, Deps{Accounts: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	s.now = now
	st := s.credentialState(context.Background())
	if st.TokenExpiresAt == nil || st.TokenExpired == nil {
		t.Fatalf("no token expiry: %+v", st)
	}
	if want := time.Unix(1_800_000_000, 0).Add(2 * time.Hour); !st.TokenExpiresAt.Equal(want) || *st.TokenExpired {
		t.Fatalf("token expires %v (expired %v), want the usable account's %v", *st.TokenExpiresAt, *st.TokenExpired, want)
	}
}
