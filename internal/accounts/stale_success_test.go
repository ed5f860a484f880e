package accounts

import (
	"testing"
	"time"

	"qwenproxy/internal/qwen"
)

// Two calls are under way on one account (two conversations on it, or a
// long answer beside a new turn): one meets Qwen's daily quota (or a
// firewall page, or Qwen refuses the account), then the other, begun
// before, ends well. Its success says nothing of the account now: the rest
// or refusal stands, and new conversations go to the other account, as a
// sign-in's success leaves a running cooldown standing.
func TestASuccessBegunBeforeARestDoesNotEndIt(t *testing.T) {
	for _, failure := range []error{
		&qwen.Error{Kind: qwen.KindRateLimited, Code: "RateLimited", RetryAfter: 3 * time.Hour},
		&qwen.Error{Kind: qwen.KindFirewall, Message: "captcha"},
		&qwen.Error{Kind: qwen.KindAuth, Status: 401, Message: "Unauthorized"},
	} {
		clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
		p := newTestPool(clock, Login{"a@x.io", "1"}, Login{"b@x.io", "2"})
		p.Report("a@x.io", failure)
		p.Report("a@x.io", nil) // the call begun before the failure
		st := p.Snapshot()
		for _, s := range st {
			if s.ID == "a@x.io" && s.Usable {
				t.Errorf("%v: a success begun before it ended the rest: %+v", failure, s)
			}
		}
		if id, err := p.Pick(nil); err != nil || id != "b@x.io" {
			t.Errorf("%v: picked %q %v, want the other account", failure, id, err)
		}
		if qe, _ := qwen.AsError(failure); qe.Kind == qwen.KindAuth {
			continue // a refusal lasts until the credentials change
		}
		// Once the rest is over, a success closes it as before.
		clock.add(4 * time.Hour)
		p.Report("a@x.io", nil)
		for _, s := range p.Snapshot() {
			if s.ID == "a@x.io" && s.State != StateReady {
				t.Errorf("%v: after the rest, a success left %+v", failure, s)
			}
		}
	}
}
