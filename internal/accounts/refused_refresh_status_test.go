package accounts

import (
	"context"
	"testing"
	"time"
)

// A refresh ahead of expiry whose password Qwen refuses takes the account
// out (auth_failed): it holds no token it may use. Its status said
// signed_in true with the old token's expiry, as though it were signed in
// and serving, beside the state auth_failed.
func TestAPasswordRefusedAtRefreshShowsNoToken(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	refused := false
	p := New(Config{Logins: []Login{{"a@x.io", "1"}}, Now: clock.now, BriefCooldown: time.Second, MaxBriefCooldown: 5 * time.Minute,
		SignIn: func(context.Context, Login) (SignedIn, error) {
			if refused {
				return SignedIn{}, &SignInError{Class: ClassAuth, Status: 401, Message: "the e-mail or password is incorrect"}
			}
			return SignedIn{Cookies: "token=t1", Expires: clock.now().Add(8 * time.Hour)}, nil
		}})
	ctx := With(context.Background(), "a@x.io")
	if c, err := p.Credentials(ctx); err != nil || c.Cookies != "token=t1" {
		t.Fatalf("first: %q %v", c.Cookies, err)
	}
	if st := p.Snapshot()[0]; !st.SignedIn || st.TokenExpiresAt == nil {
		t.Fatalf("signed in: %+v", st)
	}
	refused = true
	clock.add(6*time.Hour + time.Minute) // due (2 hours ahead of the exp), not expired
	if _, err := p.Credentials(ctx); ClassOf(err) != ClassAuth {
		t.Fatalf("the refresh with a refused password: %v", err)
	}
	st := p.Snapshot()[0]
	if st.State != StateAuthFailed || st.Usable || st.SignedIn || st.TokenExpiresAt != nil {
		t.Fatalf("after the refusal: state %s, usable %v, signed_in %v, token_expires_at %v; want auth_failed, no token",
			st.State, st.Usable, st.SignedIn, st.TokenExpiresAt)
	}
}
