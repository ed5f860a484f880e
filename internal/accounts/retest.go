package accounts

import (
	"context"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
)

// TestSignIn signs account id in with its password, as SignInAgain does,
// and also while Qwen's refusal of that password keeps it out (RefusedOut):
// `accounts test` asks Qwen whether it takes the password now — a password
// fixed at Qwen since, or refused for a reason of Qwen's own — where it
// answered with the refusal it had stored, sending nothing. A sign-in that
// succeeds ends the refusal as `accounts reset` does (endRefusal); one
// Qwen refuses again leaves it as it was. A resting account is still
// answered with its rest, as a server leaves it out too.
func (p *Pool) TestSignIn(ctx context.Context, id string) (qwen.Credentials, error) {
	p.mu.Lock()
	if a := p.accounts[id]; a != nil && a.signing == nil && a.refusedOut(p.now()) {
		a.tryRefused = true
	}
	p.mu.Unlock()
	return p.SignInAgain(ctx, id)
}

// RefusedOut reports whether account id is out of use only because Qwen
// refused its password (auth_failed of class auth, or refused to this
// instance), not a ban's 403s, a rest or a lock: a sign-in is the way to
// learn whether Qwen takes the password now.
func (p *Pool) RefusedOut(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.accounts[id]
	return a != nil && a.refusedOut(p.now())
}

// refusedOut is RefusedOut for a. p.mu is held.
func (a *account) refusedOut(now time.Time) bool {
	if a.password == "" || a.locked != "" {
		return false
	}
	switch a.st.State {
	case StateAuthFailed:
		return Class(a.st.FailureClass) == ClassAuth
	case StateCoolingDown, StateRateLimited:
		if now.Before(a.st.CooldownUntil) {
			return false // resting, whatever else
		}
	}
	return a.refusedHere()
}

// endRefusal makes a ready again after Qwen took the password it had
// refused (TestSignIn): the state is marked as a reset (ResetMark), so
// that each server that takes it tries the password again, its own
// refusal of the same password included, as after `accounts reset`.
// p.mu is held.
func (p *Pool) endRefusal(a *account) {
	if a.st.State != StateAuthFailed && !a.refusedHere() {
		return
	}
	now := p.now()
	a.refusedPw, a.forbidden = "", 0
	p.setState(a, qp.AccountState{State: StateReady, FailureClass: ResetMark}, now)
	a.afresh = now
}
