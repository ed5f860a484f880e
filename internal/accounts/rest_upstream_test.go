package accounts_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/store/storetest"
)

// An account's rest is its rest at the upstream that called for it: a rate
// limit the simulator (serve --mock-upstream) set was stored on the
// account's one row of state, and kept the account out — in health, in
// calls — when the same database was served against chat.qwen.ai, which
// had never limited it. Each upstream keeps its own state: the rest is
// ignored at another upstream, whose own findings leave it as it was, and
// in force again when the simulator's address is served again.
func TestARestAtOneUpstreamIsNotInForceAtAnother(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		logins := []accounts.Login{{Email: "a@x.io", Password: "pw"}}
		signIn := func(ctx context.Context, l accounts.Login) (accounts.SignedIn, error) {
			return accounts.SignedIn{Cookies: "token=x", Expires: time.Now().Add(time.Hour)}, nil
		}
		pool := func(upstream string) *accounts.Pool {
			p := accounts.New(accounts.Config{Store: st, Logins: logins, SignIn: signIn, Upstream: upstream, BriefCooldown: time.Minute})
			if err := p.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
			return p
		}
		const simURL = "http://127.0.0.1:41305"
		sim := pool(simURL)
		sim.Report("a@x.io", &qwen.Error{Kind: qwen.KindRateLimited, Code: "RateLimited", Message: "daily quota", RetryAfter: 3 * time.Hour})
		if err := sim.Sync(context.Background()); err != nil { // its state exchanged, as every 2 s
			t.Fatal(err)
		}

		real := pool("https://chat.qwen.ai")
		if !real.Usable("a@x.io") || real.Unavailable() != nil {
			t.Fatalf("chat.qwen.ai's instance keeps out the account the simulator rate-limited: %+v", real.Snapshot())
		}
		if s := real.Snapshot(); len(s) != 1 || s[0].State != accounts.StateReady || s[0].CooldownUntil != nil {
			t.Fatalf("chat.qwen.ai's health shows the simulator's rest: %+v", s)
		}
		other := pool("http://127.0.0.1:9") // any other QWEN_BASE_URL
		if !other.Usable("a@x.io") {
			t.Fatalf("another upstream's instance keeps out the account the simulator rate-limited: %+v", other.Snapshot())
		}
		// chat.qwen.ai's own finding is its own: a brief rest there.
		real.Report("a@x.io", &qwen.Error{Kind: qwen.KindServer, Status: 503, Message: "unavailable"})
		if err := real.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}

		again := pool(simURL + "/")
		s := again.Snapshot()
		if again.Usable("a@x.io") || len(s) != 1 || s[0].State != accounts.StateRateLimited || s[0].CooldownUntil == nil ||
			time.Until(*s[0].CooldownUntil) < 2*time.Hour {
			t.Fatalf("the simulator's instance again: %+v, want its rate limit of 3 hours", s)
		}
		if s := pool("https://chat.qwen.ai/").Snapshot(); len(s) != 1 || s[0].State != accounts.StateCoolingDown || s[0].FailureClass != string(accounts.ClassServer) {
			t.Fatalf("chat.qwen.ai's instance again: %+v, want its own brief rest", s)
		}
	})
}

// A token is kept per upstream: an account signed in at chat.qwen.ai
// replaced the simulator's token on the account's one row, so that serving
// against the simulator again signed in once more, and the reverse. Each
// upstream's token now stays for its instances.
func TestEachUpstreamKeepsItsOwnToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		sealer, err := accounts.NewSealer(testSecretKey)
		if err != nil {
			t.Fatal(err)
		}
		var signIns atomic.Int32
		signIn := func(ctx context.Context, l accounts.Login) (accounts.SignedIn, error) {
			n := signIns.Add(1)
			return accounts.SignedIn{Cookies: "token=from-" + string(rune('0'+n)), Expires: time.Now().Add(time.Hour)}, nil
		}
		ctx := accounts.With(context.Background(), "a@x.io")
		cookies := func(upstream string) string {
			t.Helper()
			p := accounts.New(accounts.Config{Store: st, Sealer: sealer, Logins: []accounts.Login{{Email: "a@x.io", Password: "pw"}}, SignIn: signIn, Upstream: upstream})
			if err := p.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
			bounded, cancel := context.WithTimeout(ctx, 5*time.Second) // well under the 15 s a claim waits
			defer cancel()
			c, err := p.Credentials(bounded)
			if err != nil {
				t.Fatal(err)
			}
			return c.Cookies
		}
		const simURL = "http://127.0.0.1:41305"
		if got := cookies(simURL); got != "token=from-1" {
			t.Fatalf("the simulator's instance: %q", got)
		}
		if got := cookies("https://chat.qwen.ai"); got != "token=from-2" {
			t.Fatalf("chat.qwen.ai's instance: %q, want a sign-in of its own", got)
		}
		if got := cookies(simURL); got != "token=from-1" || signIns.Load() != 2 {
			t.Fatalf("the simulator's instance again: %q after %d sign-ins, want its own token adopted", got, signIns.Load())
		}
		if got := cookies("https://chat.qwen.ai"); got != "token=from-2" || signIns.Load() != 2 {
			t.Fatalf("chat.qwen.ai's instance again: %q after %d sign-ins, want its own token adopted", got, signIns.Load())
		}
	})
}
