package accounts_test

import (
	"context"
	"sync/atomic"
	"testing"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/store/storetest"
)

// A password refused by one upstream is refused there only: `serve
// --mock-upstream` (whose simulator knows no stored account) refused an
// account stored with `accounts add`, and the refusal, kept in the database
// until the password changes, left the account out when the same database
// was then served for real — chat.qwen.ai was never asked. As the token is
// (TestATokenIsSharedOnlyWithInstancesOfItsUpstream), the refusal is bound
// to its upstream; another instance of the upstream that refused it does
// not try it again.
func TestAPasswordRefusedByOneUpstreamIsTriedAtAnother(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		var simSignIns, qwenSignIns atomic.Int32
		refuse := func(ctx context.Context, l accounts.Login) (accounts.SignedIn, error) {
			simSignIns.Add(1)
			return accounts.SignedIn{}, &accounts.SignInError{Class: accounts.ClassAuth, Status: 401, Message: "The email or password provided is incorrect."}
		}
		accept := func(ctx context.Context, l accounts.Login) (accounts.SignedIn, error) {
			qwenSignIns.Add(1)
			return accounts.SignedIn{Cookies: "token=real"}, nil
		}
		logins := []accounts.Login{{Email: "a@x.io", Password: "pw"}}
		ctx := accounts.With(context.Background(), "a@x.io")
		pool := func(upstream string, signIn func(context.Context, accounts.Login) (accounts.SignedIn, error)) *accounts.Pool {
			p := accounts.New(accounts.Config{Store: st, Logins: logins, SignIn: signIn, Upstream: upstream})
			if err := p.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
			return p
		}
		sim := pool("http://127.0.0.1:41305", refuse)
		if _, err := sim.Credentials(ctx); accounts.ClassOf(err) != accounts.ClassAuth {
			t.Fatalf("the simulator's instance: %v, want its refusal", err)
		}
		if err := sim.Sync(context.Background()); err != nil { // its state exchanged, as every 2 s
			t.Fatal(err)
		}
		if again := pool("http://127.0.0.1:41305/", refuse); again.Usable("a@x.io") || simSignIns.Load() != 1 {
			t.Fatalf("another instance of the simulator would try the password it refused (usable %v, %d sign-ins)", again.Usable("a@x.io"), simSignIns.Load())
		}
		qwen := pool("https://chat.qwen.ai", accept)
		if !qwen.Usable("a@x.io") {
			t.Fatalf("chat.qwen.ai's instance leaves out the account the simulator refused: %+v", qwen.Snapshot())
		}
		if _, err := qwen.Credentials(ctx); err != nil || qwenSignIns.Load() != 1 {
			t.Fatalf("chat.qwen.ai's instance: %v (%d sign-ins)", err, qwenSignIns.Load())
		}
	})
}
