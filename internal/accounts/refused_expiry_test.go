package accounts

import (
	"context"
	"testing"
)

// An account whose token Qwen refused and whose password it then refused
// holds no token: its status says signed_in false and no token expiry. It
// showed the refused token's token_expires_at beside signed_in false, a
// token it no longer has.
func TestARefusedAccountShowsNoTokenExpiry(t *testing.T) {
	const email = "a@x.io"
	sim, p, client := simPool(t, Config{Logins: []Login{{email, "right"}}})
	ctx := With(context.Background(), email)
	before, err := p.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := p.Snapshot()[0]; !st.SignedIn || st.TokenExpiresAt == nil {
		t.Fatalf("signed in: %+v", st)
	}
	sim.ChangePassword(email, "changed")
	sim.ExpireTokens(email)
	_, _, callErr := client.NewChat(ctx, "qwen3-max")
	if ClassOf(callErr) != ClassAuth {
		t.Fatalf("the call on the expired token: %v", callErr)
	}
	if ok, refreshErr := p.Refresh(ctx, email, before.Cookies, callErr); !ok || ClassOf(refreshErr) != ClassAuth {
		t.Fatalf("refresh with the changed password: %v %v", ok, refreshErr)
	} else {
		p.Report(email, refreshErr)
	}
	if st := p.Snapshot()[0]; st.SignedIn || st.TokenExpiresAt != nil || st.State != StateAuthFailed {
		t.Fatalf("after the refusal: signed_in %v, token_expires_at %v, state %s; want no token and auth_failed", st.SignedIn, st.TokenExpiresAt, st.State)
	}
}
