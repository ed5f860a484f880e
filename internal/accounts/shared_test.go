package accounts_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/logtest"
	"qwenproxy/internal/store/storetest"
)

// TestOneSignInForInstancesStartingTogether: two pools (two instances) on
// one database ask for the same account's token at the same moment; one
// signs in, the other adopts its token from the database.
func TestOneSignInForInstancesStartingTogether(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		var signIns atomic.Int32
		started, release := make(chan struct{}, 2), make(chan struct{})
		signIn := func(ctx context.Context, l accounts.Login) (accounts.SignedIn, error) {
			n := signIns.Add(1)
			started <- struct{}{}
			<-release
			return accounts.SignedIn{Cookies: "token=from-" + string(rune('0'+n)), Expires: time.Now().Add(time.Hour)}, nil
		}
		logins := []accounts.Login{{Email: "a@x.io", Password: "pw"}}
		pools := instances(t, accounts.Config{Store: st, Logins: logins, SignIn: signIn})
		ctx := accounts.With(context.Background(), "a@x.io")
		got := make([]string, 2)
		var wg sync.WaitGroup
		for i, p := range pools {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := p.Credentials(ctx)
				if err != nil {
					t.Error(err)
				}
				got[i] = c.Cookies
			}()
		}
		// One of them has claimed the sign-in and is signing in; the other
		// waits for its token (it would sign in itself only after 15 s).
		<-started
		close(release)
		wg.Wait()
		if n := signIns.Load(); n != 1 || got[0] != got[1] || got[0] == "" {
			t.Fatalf("%d sign-ins; tokens %q and %q", n, got[0], got[1])
		}
	})
}

// TestARenewedTokenIsAdoptedEvenWithTheSameExpiry: Qwen refuses an
// account's token on both instances; the first signs in again, and the
// second adopts its token — also when the new token expires in the same
// second as the refused one (a JWT's exp counts seconds: a token refused
// and renewed within the second of its issue), which it once took for the
// refused token itself and signed in again.
func TestARenewedTokenIsAdoptedEvenWithTheSameExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		expires := time.Now().Add(time.Hour).Truncate(time.Second) // every token's exp
		var signIns atomic.Int32
		signIn := func(ctx context.Context, l accounts.Login) (accounts.SignedIn, error) {
			n := signIns.Add(1)
			return accounts.SignedIn{Cookies: "token=from-" + string(rune('0'+n)), Expires: expires}, nil
		}
		logins := []accounts.Login{{Email: "a@x.io", Password: "pw"}}
		ctx := accounts.With(context.Background(), "a@x.io")
		pools := instances(t, accounts.Config{Store: st, Logins: logins, SignIn: signIn})
		cookies := func(p *accounts.Pool) string {
			c, err := p.Credentials(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return c.Cookies
		}
		first := cookies(pools[0])
		if got := cookies(pools[1]); got != first || signIns.Load() != 1 {
			t.Fatalf("start: %d sign-ins, tokens %q and %q", signIns.Load(), first, got)
		}
		// Qwen refuses the token: each instance meets the 401 in turn.
		for i, p := range pools {
			if ok, err := p.Refresh(ctx, "a@x.io", first, nil); !ok || err != nil {
				t.Fatalf("instance %d: refresh %v %v", i, ok, err)
			}
		}
		renewed := cookies(pools[0])
		if got := cookies(pools[1]); got != renewed || renewed == first {
			t.Fatalf("tokens after the refusal: %q and %q (refused %q)", renewed, got, first)
		}
		if n := signIns.Load(); n != 2 {
			t.Fatalf("%d sign-ins, want 2: the second instance signed in again rather than adopt the first's new token", n)
		}
	})
}

// TestAnAdoptedTokenIsNotLoggedAsASignIn: the instance that takes another
// instance's token from the database says so; it said "qwen account signed
// in" as the one that signed in did, so that the logs of two instances
// counted two sign-ins where Qwen saw one.
func TestAnAdoptedTokenIsNotLoggedAsASignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		signIn := func(ctx context.Context, l accounts.Login) (accounts.SignedIn, error) {
			return accounts.SignedIn{Cookies: "token=signed-in", Expires: time.Now().Add(time.Hour)}, nil
		}
		logins := []accounts.Login{{Email: "a@x.io", Password: "pw"}}
		ctx := accounts.With(context.Background(), "a@x.io")
		logs := []*logtest.Buffer{{}, {}}
		pools := instances(t, accounts.Config{Store: st, Logins: logins, SignIn: signIn}, logs...)
		for _, p := range pools {
			if _, err := p.Credentials(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n := strings.Count(logs[0].String(), "qwen account signed in"); n != 1 {
			t.Fatalf("the first instance logged %d sign-ins:\n%s", n, logs[0])
		}
		if second := logs[1].String(); strings.Contains(second, "signed in") || !strings.Contains(second, "qwen account token adopted from another instance") {
			t.Fatalf("the second instance's log:\n%s", second)
		}
	})
}

// TestAPasswordRefusedOnOneInstanceIsNotTriedOnTheOther: the password of a
// shared account was changed on Qwen's site; the instance that meets the
// refusal first takes the account out, and the other, asking for a token
// before the next exchange of state, does not try the refused password
// again (each instance used to, one refused sign-in per instance: the kind
// of repeated failure that gets an account locked).
func TestAPasswordRefusedOnOneInstanceIsNotTriedOnTheOther(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		var signIns atomic.Int32
		signIn := func(ctx context.Context, l accounts.Login) (accounts.SignedIn, error) {
			signIns.Add(1)
			return accounts.SignedIn{}, &accounts.SignInError{Class: accounts.ClassAuth, Status: 401, Message: "The email or password provided is incorrect."}
		}
		logins := []accounts.Login{{Email: "a@x.io", Password: "old password"}}
		ctx := accounts.With(context.Background(), "a@x.io")
		pools := instances(t, accounts.Config{Store: st, Logins: logins, SignIn: signIn})
		for i, p := range pools {
			if _, err := p.Credentials(ctx); accounts.ClassOf(err) != accounts.ClassAuth {
				t.Fatalf("instance %d: %v, want the refusal", i, err)
			}
			if p.Usable("a@x.io") {
				t.Fatalf("instance %d still uses the refused account", i)
			}
		}
		if n := signIns.Load(); n != 1 {
			t.Fatalf("%d sign-ins with the refused password, want 1", n)
		}
	})
}

// TestATokenRefusedAndAdoptedIsNotLoggedAsASignIn: Qwen refuses a shared
// token; the instance that signs in again says so, and the one that then
// takes its new token from the database says it took it (it said "signed in
// again" as well).
func TestATokenRefusedAndAdoptedIsNotLoggedAsASignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		var signIns atomic.Int32
		signIn := func(ctx context.Context, l accounts.Login) (accounts.SignedIn, error) {
			n := signIns.Add(1)
			return accounts.SignedIn{Cookies: "token=from-" + string(rune('0'+n)), Expires: time.Now().Add(time.Hour + time.Duration(n)*time.Second)}, nil
		}
		logins := []accounts.Login{{Email: "a@x.io", Password: "pw"}}
		ctx := accounts.With(context.Background(), "a@x.io")
		logs := []*logtest.Buffer{{}, {}}
		pools := instances(t, accounts.Config{Store: st, Logins: logins, SignIn: signIn}, logs...)
		var refused string
		for _, p := range pools {
			c, err := p.Credentials(ctx)
			if err != nil {
				t.Fatal(err)
			}
			refused = c.Cookies
		}
		for _, p := range pools {
			if ok, err := p.Refresh(ctx, "a@x.io", refused, nil); !ok || err != nil {
				t.Fatalf("refresh: %v %v", ok, err)
			}
		}
		if n := signIns.Load(); n != 2 {
			t.Fatalf("%d sign-ins, want 2", n)
		}
		if first := logs[0].String(); !strings.Contains(first, "signed in again") {
			t.Fatalf("the first instance's log:\n%s", first)
		}
		if second := logs[1].String(); strings.Contains(second, "signed in") || !strings.Contains(second, "adopted the new one another instance got") {
			t.Fatalf("the second instance's log:\n%s", second)
		}
	})
}

// TestAnInstanceWithAnotherKeySignsInWithoutWaiting: an instance started
// with a QWENPROXY_SECRET_KEY other than its peers' cannot open the token
// they share; it signs in for itself at once. It waited for the token it
// could not open, 15 seconds, on each call needing a sign-in.
func TestAnInstanceWithAnotherKeySignsInWithoutWaiting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		var signIns atomic.Int32
		signIn := func(ctx context.Context, l accounts.Login) (accounts.SignedIn, error) {
			n := signIns.Add(1)
			return accounts.SignedIn{Cookies: "token=from-" + string(rune('0'+n)), Expires: time.Now().Add(time.Hour)}, nil
		}
		logins := []accounts.Login{{Email: "a@x.io", Password: "pw"}}
		ctx := accounts.With(context.Background(), "a@x.io")
		var pools []*accounts.Pool
		for _, key := range []string{testSecretKey, "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"} {
			sealer, err := accounts.NewSealer(key)
			if err != nil {
				t.Fatal(err)
			}
			p := accounts.New(accounts.Config{Store: st, Sealer: sealer, Logins: logins, SignIn: signIn})
			if err := p.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
			pools = append(pools, p)
		}
		if _, err := pools[0].Credentials(ctx); err != nil {
			t.Fatal(err)
		}
		bounded, cancel := context.WithTimeout(ctx, 5*time.Second) // well under the 15 s it waited
		defer cancel()
		if c, err := pools[1].Credentials(bounded); err != nil || c.Cookies != "token=from-2" {
			t.Fatalf("the instance with another key: %q %v", c.Cookies, err)
		}
	})
}

// testSecretKey is the QWENPROXY_SECRET_KEY of the instances these tests
// start.
const testSecretKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// instances starts two pools with cfg on one database, as two servers on it
// would start (each synced, as Start does: the accounts' rows exist), each
// with the test key's sealer and, where logs has one, a logger writing there.
func instances(t *testing.T, cfg accounts.Config, logs ...*logtest.Buffer) []*accounts.Pool {
	t.Helper()
	sealer, err := accounts.NewSealer(testSecretKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sealer = sealer
	pools := make([]*accounts.Pool, 2)
	for i := range pools {
		c := cfg
		if i < len(logs) {
			c.Log = slog.New(slog.NewTextHandler(logs[i], nil))
		}
		pools[i] = accounts.New(c)
		if err := pools[i].Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return pools
}

// TestARefusedPasswordIsCountedOnceWithItsRefusal: the instance that meets
// Qwen's refusal of a password stores it with its count at once. A CLI run
// (accounts test) ended before its next exchange of state left the refusal
// stored without its count, and the next run, finding the account refused,
// tried nothing and counted nothing; the instance that takes the refusal
// from the store does not count it again.
func TestARefusedPasswordIsCountedOnceWithItsRefusal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		signIn := func(ctx context.Context, l accounts.Login) (accounts.SignedIn, error) {
			return accounts.SignedIn{}, &accounts.SignInError{Class: accounts.ClassAuth, Status: 401, Message: "The email or password provided is incorrect."}
		}
		pools := instances(t, accounts.Config{Store: st, Logins: []accounts.Login{{Email: "a@x.io", Password: "old password"}}, SignIn: signIn})
		ctx := accounts.With(context.Background(), "a@x.io")
		// Neither instance exchanges its state after its call: each ends
		// there, as a CLI run does.
		for i, p := range pools {
			if _, err := p.Credentials(ctx); accounts.ClassOf(err) != accounts.ClassAuth {
				t.Fatalf("instance %d: %v, want the refusal", i, err)
			}
		}
		recs, err := st.Accounts(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || recs[0].State != accounts.StateAuthFailed || recs[0].Failures["auth"] != 1 {
			t.Fatalf("stored %+v, want the refusal counted once", recs)
		}
		// The instance that took the refusal from the store says nothing
		// more of it at its next exchange.
		if err := pools[1].Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		if recs, err = st.Accounts(context.Background(), ""); err != nil || recs[0].Failures["auth"] != 1 {
			t.Fatalf("after the other's exchange: %+v %v, want the refusal counted once", recs, err)
		}
	})
}

// A token is shared only between instances of one upstream: one the
// simulator issued (serve --mock-upstream, then serve for real on the same
// database) is never taken by an instance asking chat.qwen.ai, nor the
// reverse, nor one stored before tokens named their upstream; such an
// instance signs in for itself at once. (The simulator's token was sent to
// chat.qwen.ai.)
func TestATokenIsSharedOnlyWithInstancesOfItsUpstream(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		var signIns atomic.Int32
		signIn := func(ctx context.Context, l accounts.Login) (accounts.SignedIn, error) {
			n := signIns.Add(1)
			return accounts.SignedIn{Cookies: "token=from-" + string(rune('0'+n)), Expires: time.Now().Add(time.Duration(n) * time.Hour)}, nil
		}
		sealer, err := accounts.NewSealer(testSecretKey)
		if err != nil {
			t.Fatal(err)
		}
		ctx := accounts.With(context.Background(), "a@x.io")
		pool := func(upstream string) *accounts.Pool {
			p := accounts.New(accounts.Config{Store: st, Sealer: sealer, Logins: []accounts.Login{{Email: "a@x.io", Password: "pw"}}, SignIn: signIn, Upstream: upstream})
			if err := p.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
			return p
		}
		cookies := func(p *accounts.Pool) string {
			t.Helper()
			bounded, cancel := context.WithTimeout(ctx, 5*time.Second) // well under the 15 s a claim waits
			defer cancel()
			c, err := p.Credentials(bounded)
			if err != nil {
				t.Fatal(err)
			}
			return c.Cookies
		}
		// A token stored before tokens named their upstream is not taken.
		legacy, err := sealer.Seal("token=legacy", "a@x.io")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.EnsureAccount(context.Background(), "a@x.io", "environment", time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveAccountToken(context.Background(), "a@x.io", "", legacy, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		sim := pool("http://127.0.0.1:41305")
		if got := cookies(sim); got != "token=from-1" {
			t.Fatalf("the instance took %q, a token stored before tokens named their upstream", got)
		}
		qwen := pool("https://chat.qwen.ai")
		if got := cookies(qwen); got != "token=from-2" {
			t.Fatalf("the instance asking chat.qwen.ai took %q, the simulator's token", got)
		}
		if err := sim.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := cookies(sim); got != "token=from-1" {
			t.Fatalf("the simulator's instance adopted %q, chat.qwen.ai's newer token", got)
		}
		if got := cookies(pool("https://chat.qwen.ai/")); got != "token=from-2" || signIns.Load() != 2 {
			t.Fatalf("another instance of chat.qwen.ai has %q after %d sign-ins, not the token of its upstream", got, signIns.Load())
		}
	})
}
