// Package accounts keeps the Qwen accounts the proxy speaks as: accounts it
// signs in itself (QWEN_ACCOUNTS, QWEN_ACCOUNTS_FILE, `qwenproxy accounts
// add`) and the pasted browser cookie (QWEN_COOKIES or `qwenproxy
// credentials set`, the account with id "cookie"). The Pool hands new
// conversations to the least recently used usable account, cools accounts
// down by failure class, signs them in again before their JWT expires, and —
// on a shared database — shares their state with the other instances.
//
// Calls never wait on the database: the pool answers from memory and a
// background loop exchanges state with the store, backing off while it is
// down. Only a sign-in (rare: at start, before expiry, after a 401) touches
// the store on a call's path, with short timeouts.
package accounts

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
)

// CookieID is the id of the account made of pasted browser credentials.
const CookieID = "cookie"

// Class is a kind of account failure. The set is fixed (it labels metrics).
type Class string

const (
	ClassRateLimited Class = "rate_limited" // Qwen's quota: out for the hours Qwen gives
	ClassFirewall    Class = "firewall"     // a firewall or captcha page: out briefly, with backoff
	ClassServer      Class = "server"       // 5xx: out briefly, with backoff
	ClassNetwork     Class = "network"      // cannot reach Qwen: out briefly, with backoff
	ClassTimeout     Class = "timeout"      // counted, no cooldown (the call waited its whole timeout)
	ClassAuth        Class = "auth"         // credentials refused: out until they change
	// ClassForbidden is an HTTP 403 that says nothing more (no
	// "Unauthorized", no invalid or expired token): a ban, or as likely
	// the firewall's block of this address (qwen-2026.md §1.3, §5). Out
	// briefly, with backoff; forbiddenStrikes in a row: out until the
	// credentials change, as ClassAuth.
	ClassForbidden Class = "forbidden"
)

// forbiddenStrikes is how many bare 403s in a row, each after the rest the
// one before it called for, take an account out until its credentials
// change.
const forbiddenStrikes = 3

// ResetMark is the failure class of the ready state `accounts reset` (and
// `accounts add`, the same password again included) stores: a person's word
// that the account starts afresh. An instance that takes it begins the
// account's runs of failures again (the doubling of its rests, its count of
// bare 403s), and gives a password Qwen refused to it one more try. It is
// no failure: it is not shown.
const ResetMark = qp.AccountResetMark

// Classes lists every class, for metrics.
var Classes = []Class{ClassRateLimited, ClassFirewall, ClassServer, ClassNetwork, ClassTimeout, ClassAuth, ClassForbidden}

// States of an account.
const (
	StateReady       = "ready"
	StateCoolingDown = "cooling_down" // firewall, 5xx, connection failures
	StateRateLimited = "rate_limited"
	StateAuthFailed  = "auth_failed"
	StateLocked      = "locked" // a stored password that no configured key opens
)

// States lists every state, for metrics.
var States = []string{StateReady, StateCoolingDown, StateRateLimited, StateAuthFailed, StateLocked}

// ClassOf says whose fault an upstream failure is: the account's (a class)
// or not ("": a bad request, an unknown chat, a cut stream…).
func ClassOf(err error) Class {
	if err == nil {
		return ""
	}
	if se, ok := err.(*SignInError); ok {
		return se.Class
	}
	qe, ok := qwen.AsError(err)
	if !ok {
		return ""
	}
	switch qe.Kind {
	case qwen.KindRateLimited:
		return ClassRateLimited
	case qwen.KindFirewall:
		return ClassFirewall
	case qwen.KindServer:
		return ClassServer
	case qwen.KindNetwork:
		return ClassNetwork
	case qwen.KindTimeout:
		return ClassTimeout
	case qwen.KindAuth:
		if qe.Forbidden() {
			return ClassForbidden
		}
		return ClassAuth
	}
	return ""
}

// Config configures a Pool. Zero durations take the defaults noted.
type Config struct {
	Store       qp.AccountStore    // nil: state kept in this process only
	Credentials qp.CredentialStore // stored browser credentials (win over Cookie); nil: none
	Sealer      *Sealer            // nil: no secret is stored or shared
	Logins      []Login            // QWEN_ACCOUNTS / QWEN_ACCOUNTS_FILE
	Cookie      qwen.Credentials   // QWEN_TOKEN / QWEN_COOKIES
	// Upstream is QWEN_BASE_URL (the simulator's under --mock-upstream):
	// an account's state (rests, refusals), its token and the claim on its
	// sign-in are shared through Store only with instances of the same
	// upstream; another upstream's are neither read nor changed.
	Upstream string
	// CookieAdvice, when set, is what the log and the clients are told to
	// do once Qwen refused the pasted cookie (a 401, or bare 403s several
	// times in a row), in place of copying a fresh Cookie header from
	// chat.qwen.ai: whoever composes the pool knows what brings its cookie
	// back where that advice is wrong (serve --mock-upstream: a restart).
	CookieAdvice string
	// SignIn signs a login in (Signer.SignIn in production).
	SignIn func(ctx context.Context, l Login) (SignedIn, error)
	// RateLimitCooldown applies when Qwen's RateLimited answer gives no
	// hours (QWEN_RATE_LIMIT_COOLDOWN). Default 6 h.
	RateLimitCooldown time.Duration
	BriefCooldown     time.Duration // first brief cooldown, doubling per failure in a row; zero: none (QWEN_FAILURE_COOLDOWN)
	MaxBriefCooldown  time.Duration // default 5 min
	SyncInterval      time.Duration // state exchange with the store; default 2 s
	Log               *slog.Logger
	Now               func() time.Time
}

// Pool is the set of accounts.
type Pool struct {
	cfg  Config
	now  func() time.Time
	log  *slog.Logger
	kick chan struct{} // wakes the sync loop after a state change
	wg   sync.WaitGroup
	// storeDown is set while the store fails, so that sign-ins do not wait
	// on it (they neither share nor adopt tokens then).
	storeDown atomic.Bool
	// syncMu makes exchanges with the store one at a time: the loop's and
	// Sync's, run together, could adopt an older read of the accounts after
	// a newer one, taking out an account the newer one had added.
	syncMu sync.Mutex

	mu       sync.Mutex
	accounts map[string]*account

	known knownAll // Known's masker, taken before mu
}

type account struct {
	id             string
	source         string // qp.AccountStored, qp.AccountEnvironment, or "cookie"
	password       string // in memory only; "" for the cookie account
	sealedPassword string // as stored, to notice a change
	fingerprint    string // of the credentials (auth_failed lasts until they change)
	locked         string // why a stored password cannot be used
	cookies        string // the Cookie header to send
	refused        string // the Cookie header Qwen refused last (not to be adopted again)
	refusedPw      string // the password Qwen refused to this instance's own sign-in: never tried again while it is password
	tokenRefused   bool   // while Report takes it out: Qwen refused the token a sign-in got, not the password (warnRejected's advice)
	adopted        bool   // the last token came from another instance (through the store)
	umid           string // bx-umidtoken (cookie account only, optional)
	cookieSource   string // the cookie account's: stored or environment
	expires        time.Time
	obtained       time.Time // when cookies were obtained (refresh timing)
	refreshAfter   time.Time // a failed refresh is not tried again before then
	st             qp.AccountState
	strikes        int // brief failures in a row
	forbidden      int // bare 403s in a row (ClassForbidden), each after the rest the last one called for; shared with the state (ForbiddenRun)
	lastUsed       time.Time
	afresh         time.Time     // when its credentials were last replaced, or it was reset (Status.Afresh)
	signing        chan struct{} // closed when the sign-in in progress ends
	mustSignIn     bool          // the next sign-in uses the password, adopting no stored token (SignInAgain)
	tryRefused     bool          // the next sign-in tries the password even though Qwen refused it (TestSignIn)
	signErr        error         // the last sign-in's failure
	dirty          bool          // st must be written to the store
	seenAt         time.Time     // an environment account's row last marked seen by this pool (zero: at the next exchange)
	shadowed       string        // an environment account's stored password (sealed) it was warned to shadow
	shadowedDigest string        // that password's digest (HashPassword), when it opens: the same one sealed again is no new one
	calls          int64
	failures       map[Class]int64
	unsynced       int64           // calls not yet added to the store's totals
	unsyncedF      map[Class]int64 // failures not yet added

	// conceal are the password and its digest, masked in what Qwen's
	// answers to the account's calls pass on (qwen.Credentials.Conceal).
	conceal []string
}

// New builds a pool from the configuration. Call Start to load stored
// accounts and run the background loop.
func New(cfg Config) *Pool {
	if cfg.RateLimitCooldown <= 0 {
		cfg.RateLimitCooldown = 6 * time.Hour
	}
	if cfg.MaxBriefCooldown <= 0 {
		cfg.MaxBriefCooldown = 5 * time.Minute
	}
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = 2 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	p := &Pool{cfg: cfg, now: cfg.Now, log: cfg.Log, kick: make(chan struct{}, 1), accounts: map[string]*account{}}
	if p.now == nil {
		p.now = time.Now
	}
	for _, l := range cfg.Logins {
		p.accounts[l.Email] = newAccount(l.Email, qp.AccountEnvironment, l.Password, cfg.Upstream)
	}
	p.setCookie(cfg.Cookie, qp.AccountEnvironment)
	return p
}

func newAccount(id, source, password, upstream string) *account {
	a := &account{id: id, source: source, password: password, fingerprint: passwordPrint(id, password, upstream),
		st: qp.AccountState{State: StateReady}, failures: map[Class]int64{}, unsyncedF: map[Class]int64{}}
	if password != "" {
		a.conceal = []string{password, HashPassword(password)}
	}
	return a
}

// fingerprint tells credentials apart without revealing them: 16 bits of
// PBKDF2 of the secret, salted with the account id. It is what a shared
// auth_failed state is tied to (it is stored in the database), so that new
// credentials get a new try. 16 bits tell new credentials from the refused
// ones but for 1 in 65,536, and are too few to test guesses of a password
// against offline: every 65,536th guess would match.
func fingerprint(id, secret string) string {
	if secret == "" {
		return ""
	}
	k, err := pbkdf2.Key(sha256.New, secret, []byte("qwenproxy account "+id), 4096, fingerprintBytes)
	if err != nil {
		return ""
	}
	return hex.EncodeToString(k)
}

// passwordPrint is the fingerprint of id's password as an upstream
// (QWEN_BASE_URL) refused it: a refusal stored by an instance of the
// simulator (serve --mock-upstream, whose simulator knows no stored
// account) or of any other upstream is not chat.qwen.ai's, and must not
// leave the account out when the database is served for real, as a token
// is not taken from another upstream (tokenbinding.go). Each upstream's
// state is kept apart now (Config.Upstream), but the states stored before
// that were all taken as chat.qwen.ai's (migration 0028): the salt still
// tells the simulator's refusals among them. chat.qwen.ai's own is the
// fingerprint of the password alone, as stored before the binding.
func passwordPrint(id, password, upstream string) string {
	if u := strings.TrimRight(upstream, "/"); u != "" && u != qwen.SiteURL {
		id += " at " + u
	}
	return fingerprint(id, password)
}

// fingerprintBytes is a fingerprint's length (see fingerprint).
const fingerprintBytes = 2

// setCookie makes c the cookie account's credentials (none: no such
// account); source says where they come from (stored or environment). New
// values end an auth_failed state. Called with p.mu held or before the pool
// is shared.
func (p *Pool) setCookie(c qwen.Credentials, source string) {
	if !c.Configured() {
		delete(p.accounts, CookieID)
		return
	}
	if a := p.accounts[CookieID]; a != nil && a.umid == c.Token && a.cookies == c.Cookies {
		a.cookieSource = source
		return // unchanged (the common case, every few seconds)
	}
	fp := fingerprint(CookieID, c.Token+"\n"+c.Cookies)
	a := newAccount(CookieID, CookieID, "", "")
	if old := p.accounts[CookieID]; old != nil {
		a.calls, a.failures, a.lastUsed = old.calls, old.failures, old.lastUsed
	}
	a.fingerprint, a.cookies, a.umid, a.cookieSource = fp, c.Cookies, c.Token, source
	a.expires, _ = c.Expiry()
	a.afresh = p.now()
	p.accounts[CookieID] = a
}

type ctxKey struct{}

// With returns ctx naming the account an upstream call speaks as.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// From returns the account ctx names, or "".
func From(ctx context.Context) string { id, _ := ctx.Value(ctxKey{}).(string); return id }

// refusedHere reports whether Qwen refused a's password to this instance's
// own sign-in: it is not tried again until the password changes, whatever
// the shared state says (another instance, with another password for the
// account — a rolling password change — makes it ready each time it signs
// in). The account is then used only with a token another instance got.
func (a *account) refusedHere() bool {
	return a.refusedPw != "" && a.refusedPw == a.password
}

// tokenValid reports whether a holds a token that has not expired.
func (a *account) tokenValid(now time.Time) bool {
	return a.cookies != "" && (a.expires.IsZero() || now.Before(a.expires))
}

// cookieExpired reports whether a is the pasted cookie and its login token
// has passed its exp: Qwen answers "Token has expired", and nothing here
// renews a pasted cookie (a fresh one is to be copied).
func (a *account) cookieExpired(now time.Time) bool {
	return a.id == CookieID && !a.expires.IsZero() && !now.Before(a.expires)
}

// usable reports whether a can take a call at now.
func (a *account) usable(now time.Time) bool {
	switch {
	case a.locked != "":
		return false
	case a.cookieExpired(now):
		return false
	case a.st.State == StateAuthFailed:
		return false
	case a.refusedHere() && !a.tokenValid(now):
		return false
	case a.st.State == StateCoolingDown || a.st.State == StateRateLimited:
		return !now.Before(a.st.CooldownUntil)
	}
	return true
}

// Usable reports whether account id can take a call now.
func (p *Pool) Usable(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.accounts[id]
	return a != nil && a.usable(p.now())
}

// RetryHere says whether a retryable failure of the account ctx names
// should be retried on that account (qwen.Config.RetryHere): not when it is
// the account's fault and another account can take the call at once.
func (p *Pool) RetryHere(ctx context.Context, err error) bool {
	id := From(ctx)
	switch ClassOf(err) {
	case ClassRateLimited, ClassServer, ClassNetwork, ClassFirewall:
	default:
		return true // not the account's fault ("The chat is in progress!")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for other, a := range p.accounts {
		if other != id && a.usable(now) {
			return false
		}
	}
	return true
}

// Pick returns the least recently used usable account not in exclude and
// marks it used. With none, it returns an *Unavailable saying why.
func (p *Pool) Pick(exclude map[string]bool) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	var best *account
	for _, a := range p.accounts {
		if exclude[a.id] || !a.usable(now) {
			continue
		}
		if best == nil || a.lastUsed.Before(best.lastUsed) || (a.lastUsed.Equal(best.lastUsed) && a.id < best.id) {
			best = a
		}
	}
	if best == nil {
		return "", p.unavailable(now)
	}
	best.lastUsed = now
	return best.id, nil
}

// unavailable explains why no account can take a call, counting each
// account in the one state it is in. p.mu is held.
func (p *Pool) unavailable(now time.Time) *Unavailable {
	u := &Unavailable{Accounts: len(p.accounts), Reason: ReasonNone, cookieAdvice: p.cfg.CookieAdvice}
	if u.Accounts == 0 {
		return u
	}
	for _, a := range p.accounts {
		switch {
		case a.locked != "":
			u.Locked++
		case a.st.State == StateAuthFailed || (a.refusedHere() && !a.usable(now)) || a.cookieExpired(now):
			u.Rejected++
			if a.st.State == StateAuthFailed && a.st.FailureClass == string(ClassForbidden) {
				u.Forbidden++
				u.ForbiddenCookie = u.ForbiddenCookie || a.id == CookieID
			} else if a.id == CookieID {
				u.RejectedCookie = true
			}
		case a.usable(now):
			u.Tried++ // usable but excluded: tried in this call already
		default:
			if a.st.State == StateRateLimited {
				u.RateLimited++
			} else {
				u.CoolingDown++
				u.addCoolingCause(Class(a.st.FailureClass))
			}
			if wait := a.st.CooldownUntil.Sub(now); u.RetryAfter == 0 || wait < u.RetryAfter {
				u.RetryAfter = wait
			}
		}
	}
	switch {
	case u.Rejected+u.Locked == u.Accounts:
		u.Reason = ReasonRejected
	case u.RateLimited > 0 && u.RateLimited+u.Rejected+u.Locked == u.Accounts:
		u.Reason = ReasonRateLimited
	default:
		u.Reason = ReasonCoolingDown
	}
	return u
}

// Unavailable returns nil when an account can take a call, else an
// *Unavailable saying why none can.
func (p *Pool) Unavailable() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for _, a := range p.accounts {
		if a.usable(now) {
			return nil
		}
	}
	return p.unavailable(now)
}

// Report records how a call on account id ended: nil for a success, else
// its error (failures that are not the account's only count as calls).
//
// A failed sign-in has already set the account's state and counted its
// failure (signIn), so a call that ends with it (the *SignInError itself,
// or the 401 of the token it was to replace) only counts as a call: a
// firewall page met while signing in again is not a refused password, and
// is not a second strike.
func (p *Pool) Report(id string, err error) {
	class := ClassOf(err)
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.accounts[id]
	if a == nil {
		return
	}
	now := p.now()
	a.calls++
	a.unsynced++
	if _, signIn := err.(*SignInError); signIn || ((class == ClassAuth || class == ClassForbidden) && p.replacementFailed(a)) {
		return
	}
	if class != "" {
		a.failures[class]++
		a.unsyncedF[class]++
	}
	switch {
	case err == nil && !a.usable(now):
		// An account resting or refused takes no new call: this one was
		// under way before the failure that rests it or took it out (here
		// or on another instance), and says nothing of the quota, the
		// firewall or the password now. The state stands, as a running
		// cooldown does after a sign-in's success; ended, it would have
		// the other instances sign a refused password in again.
	case err == nil:
		a.strikes, a.forbidden = 0, 0
		if a.st.State != StateReady || a.st.ForbiddenRun != 0 { // a ready state a sign-in set may carry the run
			p.setState(a, qp.AccountState{State: StateReady}, now)
		}
	case class == ClassRateLimited:
		p.setState(a, qp.AccountState{State: StateRateLimited, FailureClass: string(class), CooldownUntil: now.Add(p.rateLimitFor(err))}, now)
	case class == ClassFirewall || class == ClassServer || class == ClassNetwork:
		a.strikes++
		p.setState(a, qp.AccountState{State: StateCoolingDown, FailureClass: string(class), CooldownUntil: now.Add(p.brief(a.strikes))}, now)
	case class == ClassForbidden:
		p.forbid(a, now)
	case class == ClassAuth:
		// A refusal of the token, not the password: a signed-in account
		// reaches here only with a token a sign-in got (Refresh signed it
		// in afresh first; a refused sign-in is a SignInError, above).
		a.tokenRefused = a.password != ""
		p.setState(a, qp.AccountState{State: StateAuthFailed, FailureClass: string(class), FailedCredential: a.fingerprint}, now)
		a.tokenRefused = false
	}
}

// forbid rests a after a bare 403, doubling per 403 in a row, and takes it
// out until its credentials change at the forbiddenStrikes-th: repeated
// evidence, each 403 met by a call made after the rest the last one called
// for (the next call after a rest is its probe). A 403 of a call that was
// already under way when the account was set to rest is the same evidence
// again, and no strike. p.mu is held.
func (p *Pool) forbid(a *account, now time.Time) {
	if a.st.State == StateCoolingDown && a.st.FailureClass == string(ClassForbidden) && now.Before(a.st.CooldownUntil) {
		return
	}
	a.forbidden++
	if a.forbidden >= forbiddenStrikes {
		p.setState(a, qp.AccountState{State: StateAuthFailed, FailureClass: string(ClassForbidden), FailedCredential: a.fingerprint}, now)
		return
	}
	p.setState(a, qp.AccountState{State: StateCoolingDown, FailureClass: string(ClassForbidden), CooldownUntil: now.Add(p.brief(a.forbidden))}, now)
}

// replacementFailed reports whether a's token was refused and the sign-in
// that was to replace it failed: Refresh dropped the refused token, and
// signIn kept its failure (and set the state it calls for). p.mu is held.
func (p *Pool) replacementFailed(a *account) bool {
	return a.password != "" && a.cookies == "" && a.signErr != nil
}

// rateLimitFor is how long a rate limit lasts: the hours of Qwen's daily
// quota answer (RateLimited; the configured default when it gives none), or
// an HTTP 429's Retry-After (or a brief backoff: that is throttling, not the
// quota, as is Too_Many_Requests "please slow down", qwen-wire.md §5); what
// Qwen asks for is held to qwen.MaxRateLimitRest (a day).
func (p *Pool) rateLimitFor(err error) time.Duration {
	var retry time.Duration
	daily := true
	if qe, ok := qwen.AsError(err); ok {
		retry, daily = qe.RetryAfter, !qe.Throttled() // its class is a rate limit: the quota or throttling
	} else if se, ok := err.(*SignInError); ok {
		// A sign-in's 429 or Too_Many_Requests is throttling as a call's
		// is; only RateLimited is the daily quota.
		retry, daily = se.RetryAfter, se.Code == "RateLimited"
	}
	switch {
	case retry > 0:
		return min(retry, qwen.MaxRateLimitRest)
	case daily:
		return p.cfg.RateLimitCooldown
	}
	return p.brief(1)
}

// brief is the cooldown after n brief failures in a row.
func (p *Pool) brief(n int) time.Duration {
	d := p.cfg.BriefCooldown
	if d <= 0 {
		return 0
	}
	for i := 1; i < n && d < p.cfg.MaxBriefCooldown; i++ {
		d *= 2
	}
	return min(d, p.cfg.MaxBriefCooldown)
}

// warnRejected says that Qwen refused a's credentials, and what to do.
func (p *Pool) warnRejected(a *account, class Class) {
	if class == ClassForbidden {
		until := "until its credentials change or it is reset"
		if a.id == CookieID {
			until = "until it changes or the server restarts" // no `accounts reset` for the cookie
		}
		p.log.Warn(fmt.Sprintf("qwen account refused with HTTP 403 %d times in a row, each after a rest; it is not used %s", forbiddenStrikes, until),
			"account", a.id, "advice", p.cookieAdvice(a, ForbiddenAdvice(a.id, true)))
		return
	}
	advice := RejectedAdvice(a.id, a.source)
	if a.tokenRefused {
		advice = TokenRefusedAdvice(a.id)
	}
	p.log.Warn("qwen account's credentials rejected; it is not used until they change", "account", a.id, "advice", p.cookieAdvice(a, advice))
}

// warnSharedRefusal says that a's credentials are refused, as the shared
// state tells (another instance met the refusal, or this one before a
// restart), and what to do.
func (p *Pool) warnSharedRefusal(a *account, class Class) {
	if class == ClassForbidden {
		p.warnRejected(a, class)
		return
	}
	p.log.Warn("qwen account's credentials rejected; it is not used until they change", "account", a.id, "advice", p.cookieAdvice(a, sharedRefusalAdvice(a.id, a.source)))
}

// cookieAdvice is advice, or Config.CookieAdvice in its place when a is
// the pasted cookie and the pool was given one.
func (p *Pool) cookieAdvice(a *account, advice string) string {
	if a.id == CookieID && p.cfg.CookieAdvice != "" {
		return p.cfg.CookieAdvice
	}
	return advice
}

// setState changes a's state now and has the sync loop share it, with the
// run of bare 403s it has met (kept across restarts and instances). p.mu
// is held.
func (p *Pool) setState(a *account, st qp.AccountState, now time.Time) {
	st.StateAt, st.ForbiddenRun = now, a.forbidden
	if !a.st.StateAt.Before(now) { // keep states strictly ordered in time
		st.StateAt = a.st.StateAt.Add(time.Millisecond)
	}
	switch {
	case st.State == a.st.State:
	case st.State == StateAuthFailed:
		// The server's failure log leaves refusals to the pool: only here
		// is it known that signing in again did not help.
		p.warnRejected(a, Class(st.FailureClass))
	default:
		attrs := []any{"account", a.id, "state", st.State, "class", st.FailureClass}
		if !st.CooldownUntil.IsZero() {
			attrs = append(attrs, "cooldown_until", st.CooldownUntil)
		}
		p.log.Info("qwen account state", attrs...)
	}
	a.st, a.dirty = st, true
	select {
	case p.kick <- struct{}{}:
	default:
	}
}
