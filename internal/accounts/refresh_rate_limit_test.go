package accounts

import (
	"context"
	"testing"
	"time"
)

// A refresh ahead of expiry that Qwen rate-limits, asking for hours, is not
// tried again within them: it was tried every few minutes (the brief
// backoff of a network failure) while the token still worked, each time
// against Qwen's own word. The token is used meanwhile, as after any
// failed refresh, and once it expires the account signs in as usual.
func TestARateLimitedRefreshWaitsTheHoursQwenAsks(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	signIns, limited := 0, false
	p := New(Config{Logins: []Login{{"a@x.io", "1"}}, Now: clock.now, BriefCooldown: time.Second, MaxBriefCooldown: 5 * time.Minute,
		SignIn: func(context.Context, Login) (SignedIn, error) {
			signIns++
			if limited {
				return SignedIn{}, &SignInError{Class: ClassRateLimited, Status: 429, Code: "RateLimited", RetryAfter: 2 * time.Hour}
			}
			return SignedIn{Cookies: "token=t" + string(rune('0'+signIns)), Expires: clock.now().Add(8 * time.Hour)}, nil
		}})
	ctx := With(context.Background(), "a@x.io")
	if c, _ := p.Credentials(ctx); c.Cookies != "token=t1" {
		t.Fatalf("first: %q", c.Cookies)
	}
	limited = true
	clock.add(6*time.Hour + time.Minute) // due (2 hours ahead of the exp), not expired
	for range 12 {
		if c, err := p.Credentials(ctx); err != nil || c.Cookies != "token=t1" {
			t.Fatalf("during the rate limit: %q %v", c.Cookies, err)
		}
		clock.add(10 * time.Minute)
	}
	if signIns != 2 {
		t.Fatalf("%d sign-ins within the 2 hours Qwen asked to wait, want the one it refused", signIns-1)
	}
	limited = false // the rest is over, and the token has expired: it signs in
	if c, _ := p.Credentials(ctx); c.Cookies != "token=t3" {
		t.Fatalf("after the rate limit: %q", c.Cookies)
	}
}
