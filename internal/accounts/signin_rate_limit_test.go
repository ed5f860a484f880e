package accounts

import (
	"context"
	"testing"
	"time"

	"qwenproxy/internal/qwensim"
)

// A sign-in Qwen rate-limits rests the account as a call's rate limit
// does (README, Rotation): for the hours its RateLimited answer gives, and
// a bare HTTP 429 — throttling, not the daily quota — for
// QWEN_FAILURE_COOLDOWN. Both rested it QWEN_RATE_LIMIT_COOLDOWN (6 hours
// by default): the sign-in's answer was read for its Retry-After alone.
func TestASignInsRateLimitRestsAsACallsDoes(t *testing.T) {
	const email = "a@x.io"
	for _, tc := range []struct {
		name  string
		fault qwensim.Fault
		rest  time.Duration
	}{
		{"bare 429", qwensim.Fault{Status: 429}, 5 * time.Second},
		{"Too_Many_Requests", qwensim.Fault{Envelope: "Too_Many_Requests", Details: "please slow down", ActualStatus: 429}, 5 * time.Second},
		{"RateLimited with hours", qwensim.Fault{Envelope: "RateLimited", Num: 2, ActualStatus: 429}, 2 * time.Hour},
		{"RateLimited without hours", qwensim.Fault{Envelope: "RateLimited", ActualStatus: 429}, 6 * time.Hour},
		{"429 with Retry-After", qwensim.Fault{Status: 429, RetryAfter: "40"}, 40 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Now().Truncate(time.Second)}
			sim, p, _ := simPool(t, Config{Logins: []Login{{email, "pw"}}, BriefCooldown: 5 * time.Second, RateLimitCooldown: 6 * time.Hour, Now: clock.now})
			tc.fault.Endpoint = qwensim.EndpointSignIn
			sim.Inject(tc.fault)
			if _, err := p.Credentials(With(context.Background(), email)); ClassOf(err) != ClassRateLimited {
				t.Fatalf("sign-in: %v", err)
			}
			st := p.Snapshot()[0]
			if st.State != StateRateLimited || st.CooldownUntil == nil || !st.CooldownUntil.Equal(clock.now().Add(tc.rest)) {
				t.Fatalf("rests until %v, want %v from now: %+v", st.CooldownUntil, tc.rest, st)
			}
		})
	}
}
