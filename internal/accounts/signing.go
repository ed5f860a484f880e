package accounts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
)

// storeTimeout bounds every store call made on a call's path (sign-ins),
// so that a database that is down delays a sign-in, never hangs it.
const storeTimeout = 2 * time.Second

// Credentials returns the credentials of the account ctx names (With), or,
// when it names none, of any usable account — signing the account in first
// when it has no token or its token is about to expire. It implements
// qwen.CredentialSource.
func (p *Pool) Credentials(ctx context.Context) (qwen.Credentials, error) {
	id := From(ctx)
	if id == "" {
		var err error
		if id, err = p.anyUsable(); err != nil {
			return qwen.Credentials{}, err
		}
	}
	return p.credentialsOf(ctx, id)
}

// anyUsable names a usable account for calls that belong to no
// conversation (the model list), preferring one already signed in, without
// counting as a use.
func (p *Pool) anyUsable() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	best := ""
	for id, a := range p.accounts {
		if !a.usable(now) {
			continue
		}
		if best == "" || (a.cookies != "" && p.accounts[best].cookies == "") || (a.cookies != "" == (p.accounts[best].cookies != "") && id < best) {
			best = id
		}
	}
	if best == "" {
		return "", p.unavailable(now)
	}
	return best, nil
}

func (p *Pool) credentialsOf(ctx context.Context, id string) (qwen.Credentials, error) {
	for {
		p.mu.Lock()
		a := p.accounts[id]
		if a == nil {
			p.mu.Unlock()
			return qwen.Credentials{}, &Unavailable{Reason: ReasonNone}
		}
		now := p.now()
		current := qwen.Credentials{Token: a.umid, Cookies: a.cookies, Conceal: a.conceal}
		// A token due for refresh still works until it expires: calls use
		// it while another call refreshes it, or after a refresh failed.
		valid := a.tokenValid(now)
		if a.source == CookieID || (a.cookies != "" && !p.dueForRefresh(a, now)) ||
			(valid && (a.signing != nil || now.Before(a.refreshAfter))) {
			p.mu.Unlock()
			return current, nil
		}
		if !a.usable(now) && !(a.tryRefused && a.refusedOut(now)) {
			p.mu.Unlock()
			return qwen.Credentials{}, p.unusable(id)
		}
		wait := a.signing
		if wait == nil {
			stale := staleToken{cookies: cmp.Or(a.cookies, a.refused), expires: a.expires}
			p.mu.Unlock()
			got, err := p.signIn(ctx, id, stale)
			if err != nil && valid && (ClassOf(err) != ClassAuth || isRefusedHere(err)) && ctx.Err() == nil {
				return current, nil // refreshing failed; the token still works
			}
			if err != nil {
				return qwen.Credentials{}, err
			}
			if got != nil {
				// Used as it is, even if already due (a token that short-lived
				// must not make every call sign in again and again).
				return qwen.Credentials{Cookies: got.Cookies, Conceal: current.Conceal}, nil
			}
			continue
		}
		p.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return qwen.Credentials{}, ctx.Err()
		}
	}
}

// SignInAgain signs account id in with its password even while it holds a
// token, adopting none another instance stored, and returns the new
// credentials: a token proves nothing of the password this process was
// given (`accounts test`, which took the stored token, said ok for a wrong
// password). The cookie account, which has no password, and an account out
// of use are answered as Credentials answers them.
func (p *Pool) SignInAgain(ctx context.Context, id string) (qwen.Credentials, error) {
	p.mu.Lock()
	if a := p.accounts[id]; a != nil && a.password != "" && a.signing == nil {
		a.mustSignIn = true
		if a.cookies != "" {
			a.cookies, a.refused = "", a.cookies
		}
	}
	p.mu.Unlock()
	return p.credentialsOf(ctx, id)
}

// unusable is the error for a call that meets an account out of use.
func (p *Pool) unusable(id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.accounts[id]
	if a == nil {
		return &Unavailable{Reason: ReasonNone}
	}
	msg := "account " + id + " is " + a.st.State
	if a.st.State == StateAuthFailed && Class(a.st.FailureClass) == ClassForbidden {
		// Its sign-in's 403 (signErr) included: the advice is not the
		// password's, nor is it that the account only rests.
		return forbiddenOut{&qwen.Error{Kind: qwen.KindAuth, Message: fmt.Sprintf("%s after HTTP 403 %d times in a row", msg, forbiddenStrikes)}}
	}
	if a.refusedHere() && a.st.State != StateAuthFailed {
		return errRefusedHere
	}
	if a.signErr != nil {
		return a.signErr
	}
	if a.locked != "" {
		return lockedError{&qwen.Error{Kind: qwen.KindAuth, Message: "account " + id + " is locked: " + a.locked}}
	}
	switch a.st.State {
	case StateRateLimited:
		return &qwen.Error{Kind: qwen.KindRateLimited, Code: "RateLimited", Message: msg, RetryAfter: a.st.CooldownUntil.Sub(p.now())}
	case StateCoolingDown:
		kind := qwen.KindServer
		if c := Class(a.st.FailureClass); c == ClassFirewall || c == ClassNetwork {
			kind = qwen.Kind(c) // the same names
		}
		return &qwen.Error{Kind: kind, Message: msg + " after a failure"}
	}
	return &qwen.Error{Kind: qwen.KindAuth, Message: msg}
}

// dueForRefresh reports whether a's token should be replaced: a quarter of
// its lifetime (at most 6 hours) before it expires. p.mu is held.
func (p *Pool) dueForRefresh(a *account, now time.Time) bool {
	if a.password == "" || a.expires.IsZero() {
		return false
	}
	ahead := min(a.expires.Sub(a.obtained)/4, 6*time.Hour)
	return !now.Before(a.expires.Add(-ahead))
}

// Refresh signs account id in again because Qwen refused its token
// (401, "Token has expired", or a bare 403), refusal being that answer, for
// the log. failed is the Cookie header that was refused:
// when another call already replaced it, nothing is done. The cookie account
// cannot be refreshed; for it Refresh reports false.
func (p *Pool) Refresh(ctx context.Context, id, failed string, refusal error) (bool, error) {
	p.mu.Lock()
	a := p.accounts[id]
	if a == nil || a.password == "" {
		p.mu.Unlock()
		return false, nil
	}
	if a.cookies != failed {
		p.mu.Unlock()
		return true, nil
	}
	a.cookies, a.refused = "", failed // the refused token is never handed out again
	p.mu.Unlock()
	if _, err := p.credentialsOf(ctx, id); err != nil {
		return true, err
	}
	// Not a rejected credential: the proxy replaced the token by itself.
	p.mu.Lock()
	adopted := a.adopted
	p.mu.Unlock()
	if adopted {
		p.log.Info("qwen refused the account's token; adopted the new one another instance got", "account", id, "answer", answerOf(refusal))
	} else {
		p.log.Info("qwen refused the account's token; signed in again", "account", id, "answer", answerOf(refusal))
	}
	return true, nil
}

// answerOf says what Qwen answered when it refused a token: an expiry's
// 401 and a bare 403 (a ban, or a firewall blocking the address) both make
// the account sign in again, and the log must not tell the second as the
// first.
func answerOf(refusal error) string {
	qe, ok := qwen.AsError(refusal)
	if !ok {
		return "not said"
	}
	answer := "HTTP " + strconv.Itoa(qe.Status)
	if qe.Status == 0 {
		answer = "no status"
	}
	if qe.Code != "" {
		answer += " " + qe.Code
	}
	if qe.Message != "" {
		answer += ": " + qe.Message
	}
	return answer
}

// staleToken is the token a sign-in replaces: its Cookie header and expiry.
// password says that every stored token is stale: the sign-in is to use
// the password (SignInAgain).
type staleToken struct {
	cookies  string
	expires  time.Time
	password bool
	// refusedHere says that Qwen refused the password to this instance
	// before: it is not tried again; only another instance's token helps.
	refusedHere bool
	// tryRefused says that the password is to be tried even though Qwen
	// refused it (TestSignIn): a refusal stored by another instance is
	// not taken for Qwen's answer, and a success ends the refusal.
	tryRefused bool
}

// refusedHereMessage is the failure of an account whose password Qwen
// refused to this instance: it is not tried again until it changes.
const refusedHereMessage = "Qwen refused this instance's password for the account before; it is not tried again until the password changes (another instance's token is used when one is shared)"

// errRefusedHere is the failure of a sign-in not tried because Qwen
// refused the password to this instance before.
var errRefusedHere error = &SignInError{Class: ClassAuth, Message: refusedHereMessage}

// isRefusedHere reports whether err is errRefusedHere.
func isRefusedHere(err error) bool { return errors.Is(err, errRefusedHere) }

// signIn signs account id in, once across this process (callers wait for
// the sign-in in progress) and, on a shared database with a key, once
// across instances: it adopts a token another instance stored, or claims
// the sign-in so that the others adopt its token. stale is the token being
// replaced.
//
// It returns the new sign-in, or nil when it did not sign in (the account
// is gone, or another call is signing it in): the caller looks again.
func (p *Pool) signIn(ctx context.Context, id string, stale staleToken) (*SignedIn, error) {
	p.mu.Lock()
	a := p.accounts[id]
	if a == nil || a.signing != nil {
		p.mu.Unlock()
		return nil, nil
	}
	done := make(chan struct{})
	a.signing = done
	login := Login{Email: a.id, Password: a.password}
	stale.password, a.mustSignIn = a.mustSignIn, false
	stale.tryRefused, a.tryRefused = a.tryRefused, false
	stale.refusedHere = a.refusedHere() && !stale.tryRefused
	p.mu.Unlock()

	got, how, err := p.obtain(ctx, login, stale)
	adopted := how == adoptedToken

	p.mu.Lock()
	defer p.mu.Unlock()
	a.signing = nil
	close(done)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil, err
		}
		now := p.now()
		if how == notTried {
			// Its password was refused here before: nothing new was
			// learnt, so nothing is counted, shared or said again. A
			// token that still works is used until it expires.
			a.refreshAfter = now.Add(max(p.brief(1), time.Minute))
			return nil, err
		}
		a.signErr = err
		class := ClassOf(err)
		if a.cookies != "" && now.Before(a.expires) && class != ClassAuth {
			// A refresh ahead of expiry failed: the token still works, so
			// the account stays in use; the refresh is tried again later.
			a.strikes++
			wait := max(p.brief(a.strikes), time.Minute)
			if class == ClassRateLimited {
				// Qwen said how long to wait (its hours, a Retry-After):
				// not asked again before. Past the token's expiry, the
				// next call signs in, and a rate limit then rests it.
				wait = max(wait, p.rateLimitFor(err))
			}
			a.refreshAfter = now.Add(wait)
			p.log.Warn("qwen token refresh failed; the current token is used until it expires", "account", a.id, "err", err)
			return nil, err
		}
		if class == ClassAuth && how == signedIn || how == refusalStored {
			a.refusedPw = login.Password // this instance's own refusal
		}
		if class != "" {
			a.failures[class]++
			if how != refusalStored && how != refusalShared { // stored with the refusal, it is not counted twice
				a.unsyncedF[class]++
			}
		}
		switch class {
		case ClassAuth:
			p.setState(a, qp.AccountState{State: StateAuthFailed, FailureClass: string(class), FailedCredential: a.fingerprint}, now)
		case ClassForbidden:
			p.forbid(a, now)
		case ClassRateLimited:
			p.setState(a, qp.AccountState{State: StateRateLimited, FailureClass: string(class), CooldownUntil: now.Add(p.rateLimitFor(err))}, now)
		default:
			a.strikes++
			p.setState(a, qp.AccountState{State: StateCoolingDown, FailureClass: string(class), CooldownUntil: now.Add(p.brief(a.strikes))}, now)
		}
		if class != ClassAuth { // a refused password's state change warns, with advice: once
			p.log.Warn("qwen sign-in failed", "account", a.id, "err", err)
		}
		return nil, err
	}
	a.signErr, a.refreshAfter = nil, time.Time{}
	a.cookies, a.expires, a.obtained, a.adopted = got.Cookies, got.Expires, p.now(), adopted
	// A success ends the run of failures: the next one cools the account
	// down from the first step again, and an ended cooldown is closed, so
	// that the shared state says ready (one still running is a newer
	// finding of another call or instance, and stands).
	a.strikes = 0
	if now := p.now(); a.st.State == StateCoolingDown && !now.Before(a.st.CooldownUntil) {
		p.setState(a, qp.AccountState{State: StateReady}, now)
	}
	if stale.tryRefused {
		p.endRefusal(a)
	}
	if adopted {
		p.log.Info("qwen account token adopted from another instance", "account", a.id, "token_expires_at", got.Expires)
	} else {
		p.log.Info("qwen account signed in", "account", a.id, "token_expires_at", got.Expires)
	}
	return &got, nil
}

// obtained says how obtain ended, beside its token or error.
type obtained int

const (
	signedIn      obtained = iota // this instance signed in, or tried to
	adoptedToken                  // another instance's token, from the store
	refusalStored                 // Qwen refused this instance's sign-in: the refusal and its count are in the store
	refusalShared                 // another instance met Qwen's refusal of the password, and stored it with its count
	notTried                      // the password was refused here before: not tried again, and no other's token to take
)

// obtain gets a fresh token for l: from the store when another instance
// has just stored one (adopted), else by signing in (and storing it,
// sealed, for the others).
func (p *Pool) obtain(ctx context.Context, l Login, stale staleToken) (got SignedIn, how obtained, err error) {
	shared := p.cfg.Store != nil && p.cfg.Sealer != nil && !p.storeDown.Load()
	claimed, foreign := false, false
	if shared {
		deadline := p.now().Add(15 * time.Second)
		for {
			got, ok, err := p.storedToken(ctx, l, stale)
			if ok {
				return got, adoptedToken, nil
			}
			var refused *SignInError
			if errors.As(err, &refused) {
				return SignedIn{}, refusalShared, refused // stored, and counted, by the instance that met it
			}
			if errors.Is(err, errOtherUpstream) {
				break // its token is of no use here: a fresh one replaces it
			}
			if errors.Is(err, errForeignKey) {
				// The others' token is of no use here, and waiting on
				// their claims would only delay this sign-in.
				foreign = true
				p.log.Warn("qwen accounts: the token other instances share is sealed with a key this instance does not hold; it signs in for itself: give every instance the same QWENPROXY_SECRET_KEY", "account", l.Email)
				break
			}
			if err != nil {
				p.storeDown.Store(true)
				break
			}
			if stale.refusedHere {
				break // no sign-in to claim: only another instance's token would do
			}
			sctx, cancel := context.WithTimeout(ctx, storeTimeout)
			now := p.now()
			ok, err = p.cfg.Store.ClaimSignIn(sctx, l.Email, p.cfg.Upstream, now, now.Add(30*time.Second), stale.expires)
			cancel()
			if err != nil {
				p.storeDown.Store(true)
			}
			if err != nil || ok || !p.now().Before(deadline) {
				claimed = ok
				break // the store cannot help (down, or the other instance is stuck): sign in ourselves
			}
			t := time.NewTimer(250 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return SignedIn{}, signedIn, ctx.Err()
			case <-t.C:
			}
		}
	}
	if stale.refusedHere {
		return SignedIn{}, notTried, errRefusedHere
	}
	got, err = p.cfg.SignIn(ctx, l)
	if claimed && ClassOf(err) == ClassAuth && p.shareRefusal(ctx, l) {
		how = refusalStored
	}
	// Store the new token's expiry (for `accounts ls`) and, sealed, the
	// token itself for the other instances; or end a claim that failed.
	if p.cfg.Store != nil && (err == nil || claimed) && !p.storeDown.Load() {
		sealed := ""
		if err == nil && p.cfg.Sealer != nil && !foreign { // not over the token the others can open
			var serr error
			if sealed, serr = p.cfg.Sealer.Seal(bindToken(got.Cookies, p.cfg.Upstream), l.Email); serr != nil {
				p.log.Warn("cannot seal a Qwen token to share it", "account", l.Email, "err", serr)
			}
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
		if serr := p.cfg.Store.SaveAccountToken(sctx, l.Email, p.cfg.Upstream, sealed, got.Expires); serr != nil {
			p.storeDown.Store(true)
			p.log.Warn("cannot share a Qwen token through the database", "account", l.Email, "err", serr)
		}
		cancel()
	}
	return got, how, err
}

// errForeignKey says that the token the other instances share is sealed
// with a key this instance does not hold.
var errForeignKey = errors.New("the shared token is sealed with a key this instance does not hold")

// errOtherUpstream is a shared token signed in at another upstream than
// this instance's (bindToken), or stored before tokens named theirs.
var errOtherUpstream = errors.New("the shared token was signed in at another upstream")

// shareRefusal writes at once that Qwen refused l's password, with the
// failure's count, before the claim on its sign-in ends: an instance
// waiting on the claim, or asking for a token before the next exchange of
// state, then does not try the refused password again (storedToken). The
// count goes with it: an instance (a CLI run) that ends before its next
// exchange left the refusal stored uncounted, and the next one, finding
// the account refused, tried nothing and counted nothing. It reports
// whether both were written.
func (p *Pool) shareRefusal(ctx context.Context, l Login) bool {
	st := qp.AccountState{State: StateAuthFailed, FailureClass: string(ClassAuth), FailedCredential: passwordPrint(l.Email, l.Password, p.cfg.Upstream), StateAt: p.now()}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	err := p.cfg.Store.SaveAccountState(sctx, l.Email, p.cfg.Upstream, st)
	if err == nil {
		err = p.cfg.Store.AddAccountCounts(sctx, l.Email, 0, map[string]int64{string(ClassAuth): 1})
	}
	if err != nil {
		p.storeDown.Store(true)
	}
	return err == nil
}

// storedToken returns the token another instance stored for id when it is
// not the stale one, expires no earlier and has not expired. A token is
// told from the stale one by its value, not by its expiry alone: a JWT's
// exp counts seconds, and a token renewed within the second of the one it
// replaces expires in the same second.
// It returns a *SignInError when another instance met Qwen's refusal of
// l's password (shareRefusal).
func (p *Pool) storedToken(ctx context.Context, l Login, stale staleToken) (SignedIn, bool, error) {
	id := l.Email
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	recs, err := p.cfg.Store.Accounts(sctx, p.cfg.Upstream)
	if err != nil {
		return SignedIn{}, false, err
	}
	for _, r := range recs {
		if r.ID == id && r.State == StateAuthFailed && r.FailedCredential != "" && r.FailedCredential == passwordPrint(id, l.Password, p.cfg.Upstream) && !stale.tryRefused {
			return SignedIn{}, false, &SignInError{Class: ClassAuth, Message: "Qwen refused the e-mail or password (met by another instance)"}
		}
		if r.ID != id || r.CookiesSealed == "" || stale.password || r.TokenExpiresAt.Before(stale.expires) || !r.TokenExpiresAt.After(p.now()) {
			continue
		}
		plain, err := p.cfg.Sealer.Open(r.CookiesSealed, id)
		if err != nil {
			return SignedIn{}, false, errForeignKey
		}
		cookies, ok := unbindToken(plain, p.cfg.Upstream)
		if !ok {
			return SignedIn{}, false, errOtherUpstream
		}
		if cookies == stale.cookies || (stale.cookies == "" && !r.TokenExpiresAt.After(stale.expires)) {
			return SignedIn{}, false, nil // the token being replaced
		}
		return SignedIn{Cookies: cookies, Expires: r.TokenExpiresAt}, true, nil
	}
	return SignedIn{}, false, nil
}
