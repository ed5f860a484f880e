package accounts

import (
	"context"
	"errors"
	"strings"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
)

// Start loads the stored accounts and credentials (waiting at most a few
// seconds for the database), then, until ctx ends, exchanges state with the
// store every SyncInterval (at once after a state change), backing off to
// once a minute while the store fails, and signs accounts in before their
// tokens are due. Wait returns once the loop has stopped.
func (p *Pool) Start(ctx context.Context) {
	first, cancel := context.WithTimeout(ctx, 5*time.Second)
	if err := p.sync(first); err != nil {
		p.log.Warn("qwen accounts: cannot read the stored accounts yet; retrying in the background", "err", err)
	}
	cancel()
	p.wg.Add(1)
	go p.run(ctx)
}

// Sync exchanges state with the stores now.
func (p *Pool) Sync(ctx context.Context) error { return p.sync(ctx) }

// Wait returns when the background loop and its sign-ins have ended.
func (p *Pool) Wait() { p.wg.Wait() }

func (p *Pool) run(ctx context.Context) {
	defer p.wg.Done()
	interval := p.cfg.SyncInterval
	timer := time.NewTimer(0) // sign in at once
	defer timer.Stop()
	failing := false
	for {
		kick := p.kick
		if failing {
			kick = nil // a store that is down is not hammered by every state change
		}
		select {
		case <-ctx.Done():
			// A last exchange, so that the counts and states of the
			// final calls are not lost with the process.
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if !failing {
				_ = p.sync(last)
			}
			cancel()
			return
		case <-timer.C:
		case <-kick:
		}
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := p.sync(sctx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			p.storeDown.Store(true)
			if !failing {
				p.log.Warn("qwen accounts: cannot exchange state with the database; serving from memory", "err", err)
			}
			failing, interval = true, min(interval*2, time.Minute)
		case err == nil:
			p.storeDown.Store(false)
			if failing {
				p.log.Info("qwen accounts: database reachable again")
			}
			failing, interval = false, p.cfg.SyncInterval
		}
		p.signInDue(ctx)
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(interval)
	}
}

// signInDue signs in, in the background, the usable accounts that have no
// token yet or whose token is due for refresh.
func (p *Pool) signInDue(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for id, a := range p.accounts {
		if a.password == "" || a.signing != nil || !a.usable(now) || (a.cookies != "" && !p.dueForRefresh(a, now)) || now.Before(a.refreshAfter) {
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			sctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			_, _ = p.credentialsOf(sctx, id) // failures set the account's state
		}()
	}
}

// sync exchanges state with the stores: it reloads the stored browser
// credentials, writes this instance's state changes and counts, and adopts
// what other instances found (newer states, fresher tokens, added or
// removed accounts).
func (p *Pool) sync(ctx context.Context) error {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	errs := p.loadCredentials(ctx)
	if p.cfg.Store == nil {
		return errors.Join(errs...)
	}
	if err := p.push(ctx); err != nil {
		return errors.Join(append(errs, err)...)
	}
	recs, err := p.cfg.Store.Accounts(ctx, p.cfg.Upstream)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	if p.adopt(recs) {
		// A row of this server's environment was removed: write it again now.
		if err := p.push(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Load reads the stored browser credentials and accounts into the pool, as
// a sync does, without writing anything (a sync marks the rows of its
// environment's accounts seen, which says a server has them): for a command
// that needs only the accounts' secrets (Known; history redact). The
// tokens the store holds for the accounts at the pool's upstream are
// masked too, expired ones and those of accounts whose passwords are not
// here (another server's QWEN_ACCOUNTS): a record may hold them.
func (p *Pool) Load(ctx context.Context) error {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	errs := p.loadCredentials(ctx)
	if p.cfg.Store == nil {
		return errors.Join(errs...)
	}
	recs, err := p.cfg.Store.Accounts(ctx, p.cfg.Upstream)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	p.adopt(recs)
	p.known.mu.Lock()
	defer p.known.mu.Unlock()
	p.known.stored = nil
	for _, r := range recs {
		if p.cfg.Sealer == nil || r.CookiesSealed == "" {
			continue
		}
		plain, err := p.cfg.Sealer.Open(r.CookiesSealed, r.ID)
		if err != nil {
			continue
		}
		cookies, ok := unbindToken(plain, p.cfg.Upstream)
		if !ok {
			if strings.HasPrefix(plain, upstreamCookie) {
				continue // another upstream's: not a secret of this one's
			}
			cookies = plain // stored before tokens named their upstream
		}
		p.known.stored = append(p.known.stored, qwen.Credentials{Cookies: cookies})
	}
	p.known.held = nil // built again with them
	return errors.Join(errs...)
}

// loadCredentials reloads the stored browser credentials (QWEN_COOKIES'
// where none are stored) into the cookie account.
func (p *Pool) loadCredentials(ctx context.Context) []error {
	var errs []error
	if p.cfg.Credentials != nil {
		c, err := p.cfg.Credentials.QwenCredentials(ctx)
		switch {
		case errors.Is(err, qp.ErrNotFound):
			p.mu.Lock()
			p.setCookie(p.cfg.Cookie, qp.AccountEnvironment)
			p.mu.Unlock()
		case err != nil:
			errs = append(errs, err) // keep what was known
		default:
			opened, err := OpenCredentials(p.cfg.Sealer, *c)
			p.mu.Lock()
			if err != nil {
				p.lockCookie(err.Error())
			} else {
				p.setCookie(qwen.Credentials{Token: opened.Token, Cookies: opened.Cookies}, qp.AccountStored)
			}
			p.mu.Unlock()
		}
	}
	return errs
}

// push writes this instance's state changes and counts.
func (p *Pool) push(ctx context.Context) error {
	type pending struct {
		id, source string
		seen       bool // mark the environment account's row seen (creating it if need be)
		st         *qp.AccountState
		calls      int64
		failures   map[Class]int64
	}
	var work []pending
	p.mu.Lock()
	now := p.now()
	for id, a := range p.accounts {
		if a.source == CookieID {
			continue // the pasted cookie is this instance's own
		}
		// An environment account's row says that a server has it: at start,
		// then every EnvironmentSeenInterval (one small write, not one per
		// exchange), and at once when the row was found missing (adopt).
		seen := a.source == qp.AccountEnvironment && (a.seenAt.IsZero() || now.Sub(a.seenAt) >= qp.EnvironmentSeenInterval)
		w := pending{id: id, source: a.source, seen: seen, calls: a.unsynced, failures: a.unsyncedF}
		if a.dirty {
			st := a.st
			w.st = &st
		}
		a.unsynced, a.unsyncedF = 0, map[Class]int64{}
		work = append(work, w)
	}
	p.mu.Unlock()
	var firstErr error
	for i, w := range work {
		err := p.pushOne(ctx, w.id, w.source, w.seen, now, w.st, w.calls, w.failures)
		if err == nil {
			continue
		}
		// Keep what was not written for the next round.
		p.mu.Lock()
		for _, rest := range work[i:] {
			if a := p.accounts[rest.id]; a != nil {
				a.unsynced += rest.calls
				for c, n := range rest.failures {
					a.unsyncedF[c] += n
				}
			}
		}
		p.mu.Unlock()
		firstErr = err
		break
	}
	return firstErr
}

func (p *Pool) pushOne(ctx context.Context, id, source string, seen bool, now time.Time, st *qp.AccountState, calls int64, failures map[Class]int64) error {
	if seen {
		if err := p.cfg.Store.EnsureAccount(ctx, id, source, now); err != nil {
			return err
		}
		p.mu.Lock()
		if a := p.accounts[id]; a != nil {
			a.seenAt = now
		}
		p.mu.Unlock()
	}
	if st != nil {
		if err := p.cfg.Store.SaveAccountState(ctx, id, p.cfg.Upstream, *st); err != nil {
			return err
		}
		p.mu.Lock()
		if a := p.accounts[id]; a != nil && a.st.StateAt.Equal(st.StateAt) {
			a.dirty = false
		}
		p.mu.Unlock()
	}
	if calls == 0 && len(failures) == 0 {
		return nil
	}
	byName := make(map[string]int64, len(failures))
	for c, n := range failures {
		byName[string(c)] = n
	}
	return p.cfg.Store.AddAccountCounts(ctx, id, calls, byName)
}

// adopt merges the stored accounts into memory. It reports whether the row
// of an account of this server's environment is missing.
func (p *Pool) adopt(recs []qp.AccountRecord) (missing bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	seen := map[string]bool{}
	for i := range recs {
		r := &recs[i]
		seen[r.ID] = true
		a := p.accounts[r.ID]
		if a == nil || (a.source == qp.AccountStored && a.sealedPassword != r.PasswordSealed) {
			if r.Source != qp.AccountStored {
				continue // another instance's environment account: no password here
			}
			if fresh := p.storedAccount(r); a == nil || a.locked != "" || fresh.locked != "" || fresh.password != a.password {
				a = fresh
				a.afresh = now // a new password, or a new account
				p.accounts[r.ID] = a
			} else {
				// The same password sealed again (`accounts rekey`): the
				// account goes on as it was — its token, state, counts not
				// yet written and the warnings it gave — rather than start
				// afresh, which signed it in again and warned of a
				// refusal of that password once more on every instance.
				a.sealedPassword = r.PasswordSealed
			}
		}
		if a.source == qp.AccountEnvironment && r.Source == qp.AccountStored && a.shadowed != r.PasswordSealed {
			// Stored (accounts add) while this server has it in its
			// QWEN_ACCOUNTS: accounts ls says "stored", and a password
			// stored again changed nothing here, without a word. The same
			// password sealed again (`accounts rekey`) is no new one.
			digest := ""
			if p.cfg.Sealer != nil {
				if pw, err := p.cfg.Sealer.Open(r.PasswordSealed, r.ID); err == nil {
					digest = HashPassword(pw)
				}
			}
			resealed := digest != "" && digest == a.shadowedDigest
			a.shadowed, a.shadowedDigest = r.PasswordSealed, digest
			if !resealed {
				p.log.Warn("qwen accounts: an account of QWEN_ACCOUNTS is stored too; this server signs it in with the password QWEN_ACCOUNTS (or QWEN_ACCOUNTS_FILE) gives, not the stored one",
					"account", r.ID, "advice", "take it out of QWEN_ACCOUNTS to use the stored password, or remove the stored one (`qwenproxy accounts rm "+r.ID+"`)")
			}
		}
		if r.StateAt.After(a.st.StateAt) {
			if r.State == StateAuthFailed && r.FailedCredential != a.fingerprint && a.locked == "" && !a.refusedHere() {
				// Refused credentials that are no longer ours: ours get a try.
				// (A locked account has none to try — its password does not
				// open here — and must not end the refusal for the instances
				// that hold the key: they would sign the refused password in
				// again, every sync. Nor does an instance whose own password
				// Qwen refused: it would not try it, and its word would have
				// the instance whose refusal this is try its own again.)
				p.setState(a, qp.AccountState{State: StateReady}, now)
				a.afresh = now
			} else {
				if r.State == StateAuthFailed && a.st.State != StateAuthFailed {
					// Refused here before (a restart with the same
					// password) or by another instance: said as if met here.
					p.warnSharedRefusal(a, Class(r.FailureClass))
				}
				if r.State == StateReady && r.FailureClass == ResetMark {
					// `accounts reset`: afresh, as if never failed here.
					a.strikes, a.forbidden, a.refusedPw, a.refreshAfter, a.signErr = 0, 0, "", time.Time{}, nil
					a.afresh = now
				}
				// The run of bare 403s goes on from where the newest
				// state left it: this server's before a restart, or
				// another instance's.
				a.st, a.dirty, a.forbidden = r.AccountState, false, r.ForbiddenRun
			}
		}
		if p.cfg.Sealer != nil && r.CookiesSealed != "" && r.TokenExpiresAt.After(a.expires) && r.TokenExpiresAt.After(now) && a.signing == nil {
			plain, err := p.cfg.Sealer.Open(r.CookiesSealed, r.ID)
			if cookies, ok := unbindToken(plain, p.cfg.Upstream); err == nil && ok {
				a.cookies, a.expires, a.obtained, a.adopted = cookies, r.TokenExpiresAt, now, true
			}
		}
	}
	for id, a := range p.accounts {
		switch {
		case seen[id]:
		case a.source == qp.AccountStored:
			delete(p.accounts, id) // removed with `accounts rm`
		case a.source == qp.AccountEnvironment && !a.seenAt.IsZero():
			// Its row was removed (`accounts rm` once it looked like no
			// server's): this server still has it, so the row is written
			// again, with the state known here.
			a.seenAt, a.dirty, missing = time.Time{}, true, true
		}
	}
	return missing
}

// storedAccount builds the in-memory account of a stored row, opening its
// password; an account whose password no key opens is kept, locked, so
// that `accounts ls` and health say why it is not used.
func (p *Pool) storedAccount(r *qp.AccountRecord) *account {
	password, err := p.cfg.Sealer.Open(r.PasswordSealed, r.ID)
	a := newAccount(r.ID, qp.AccountStored, password, p.cfg.Upstream)
	a.sealedPassword = r.PasswordSealed
	if err != nil {
		a.password, a.locked = "", "cannot open the stored password: "+err.Error()
		p.log.Warn("qwen accounts: a stored account is locked and not used: its password cannot be opened; "+
			"start the server with the QWENPROXY_SECRET_KEY that sealed it (the one it was added with, or given to `accounts rekey` since), or `qwenproxy accounts rm` it and add it again",
			"account", r.ID, "err", err)
	}
	return a
}

// lockCookie keeps the cookie account, locked, when the stored browser
// credentials cannot be opened, and says so once. p.mu is held.
func (p *Pool) lockCookie(why string) {
	if a := p.accounts[CookieID]; a != nil && a.locked == why {
		return
	}
	a := newAccount(CookieID, CookieID, "", "")
	a.cookieSource, a.locked = qp.AccountStored, why
	p.accounts[CookieID] = a
	p.log.Warn("qwen accounts: the stored credentials are locked and not used", "err", why)
}
