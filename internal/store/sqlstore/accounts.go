package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	qp "qwenproxy"
)

// accountColumns are an account's columns with its state and token at one
// upstream: qwen_accounts a, LEFT JOIN qwen_account_states s on that
// upstream (an account with no row there is ready, with no token).
const accountColumns = `a.id, a.source, COALESCE(a.password_sealed, ''), COALESCE(s.cookies_sealed, ''), COALESCE(s.token_expires_at, 0),
	COALESCE(s.state, 'ready'), COALESCE(s.failure_class, ''), COALESCE(s.cooldown_until, 0), COALESCE(s.failed_credential, ''),
	COALESCE(s.state_at, 0), COALESCE(s.signin_until, 0), COALESCE(s.forbidden_run, 0), a.calls, a.created_at, a.updated_at, a.seen_at`

func scanAccount(row interface{ Scan(...any) error }) (*qp.AccountRecord, error) {
	var a qp.AccountRecord
	var exp, cooldown, stateAt, signin, created, updated, seen int64
	if err := row.Scan(&a.ID, &a.Source, &a.PasswordSealed, &a.CookiesSealed, &exp, &a.State, &a.FailureClass,
		&cooldown, &a.FailedCredential, &stateAt, &signin, &a.ForbiddenRun, &a.Calls, &created, &updated, &seen); err != nil {
		return nil, err
	}
	a.TokenExpiresAt, a.CooldownUntil, a.StateAt, a.SignInUntil = msTime(exp), msTime(cooldown), msTime(stateAt), msTime(signin)
	a.SeenAt = msTime(seen)
	a.CreatedAt, a.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
	return &a, nil
}

// msTime maps 0 to the zero time.
func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// unixMs maps the zero time to 0.
func unixMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Accounts lists every Qwen account, with its state and token at upstream.
func (s *Store) Accounts(ctx context.Context, upstream string) ([]qp.AccountRecord, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+accountColumns+` FROM qwen_accounts a
		LEFT JOIN qwen_account_states s ON s.account = a.id AND s.upstream = ? ORDER BY a.id`, qp.UpstreamKey(upstream))
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	var out []qp.AccountRecord
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		out = append(out, *a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return out, s.accountFailures(ctx, out)
}

// UpstreamsInForce lists the upstreams other than except where some
// account's state keeps it out now: a rest (cooldown or rate limit) that
// has not ended, or a refused password. `accounts ls` and `accounts reset`
// show and change one upstream's state: these are the others an operator
// may have meant (the server's QWEN_BASE_URL, or its simulator's).
func (s *Store) UpstreamsInForce(ctx context.Context, except string, now time.Time) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT DISTINCT upstream FROM qwen_account_states
		WHERE upstream <> ? AND state <> 'ready' AND (state = 'auth_failed' OR cooldown_until > ?) ORDER BY upstream`,
		qp.UpstreamKey(except), now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list upstreams with account states: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("list upstreams with account states: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list upstreams with account states: %w", err)
	}
	return out, nil
}

// upstreamState is an account's state at one upstream.
type upstreamState struct {
	upstream string
	qp.AccountState
}

// accountStates reads every account's state at every upstream where it
// has one, by account (for copy: tokens are not copied).
func (s *Store) accountStates(ctx context.Context) (map[string][]upstreamState, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT account, upstream, state, failure_class, cooldown_until, failed_credential, state_at,
		forbidden_run FROM qwen_account_states ORDER BY account, upstream`)
	if err != nil {
		return nil, fmt.Errorf("list account states: %w", err)
	}
	defer rows.Close()
	out := map[string][]upstreamState{}
	for rows.Next() {
		var id string
		var st upstreamState
		var cooldown, at int64
		if err := rows.Scan(&id, &st.upstream, &st.State, &st.FailureClass, &cooldown, &st.FailedCredential, &at, &st.ForbiddenRun); err != nil {
			return nil, fmt.Errorf("list account states: %w", err)
		}
		st.CooldownUntil, st.StateAt = msTime(cooldown), msTime(at)
		out[id] = append(out[id], st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list account states: %w", err)
	}
	return out, nil
}

// accountFailures fills in the failure counts of the listed accounts.
func (s *Store) accountFailures(ctx context.Context, accounts []qp.AccountRecord) error {
	rows, err := s.read.QueryContext(ctx, `SELECT account, class, count FROM qwen_account_failures`)
	if err != nil {
		return fmt.Errorf("list account failures: %w", err)
	}
	defer rows.Close()
	byID := map[string]*qp.AccountRecord{}
	for i := range accounts {
		byID[accounts[i].ID] = &accounts[i]
	}
	for rows.Next() {
		var id, class string
		var n int64
		if err := rows.Scan(&id, &class, &n); err != nil {
			return fmt.Errorf("list account failures: %w", err)
		}
		if a := byID[id]; a != nil {
			if a.Failures == nil {
				a.Failures = map[string]int64{}
			}
			a.Failures[class] = n
		}
	}
	return rows.Err()
}

// PutAccount creates or replaces an account's source and password; its
// state starts afresh at every upstream (new credentials deserve a new
// try), its counts stay.
// An account of a server's QWEN_ACCOUNTS (source environment) is not
// replaced while a server still has it (its row was seen within
// qp.EnvironmentAccountLapse): that server signs it in with the password it
// was given, so a stored one would never be used, and its row would no
// longer say where the account comes from. One no server has any longer is
// stored over, as a stored account.
func (s *Store) PutAccount(ctx context.Context, a qp.AccountRecord) error {
	if err := s.checkGuard(); err != nil {
		return err
	}
	now := a.UpdatedAt.UnixMilli()
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store account %s: %w", a.ID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO qwen_accounts (id, source, password_sealed, created_at, updated_at)
		VALUES (?, ?, NULLIF(?, ''), ?, ?)
		ON CONFLICT (id) DO UPDATE SET source = excluded.source, password_sealed = excluded.password_sealed,
			updated_at = excluded.updated_at, seen_at = 0
		WHERE qwen_accounts.source <> ? OR qwen_accounts.seen_at < ?`,
		a.ID, a.Source, a.PasswordSealed, now, now, qp.AccountEnvironment, a.UpdatedAt.Add(-qp.EnvironmentAccountLapse).UnixMilli())
	if err != nil {
		return fmt.Errorf("store account %s: %w", a.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store account %s: %w", a.ID, err)
	} else if n == 0 {
		return fmt.Errorf("store account %s: %w", a.ID, ErrEnvironmentAccount)
	}
	// Every upstream's state starts afresh and its token goes: the old
	// password's refusals and rests, and its sign-ins, are not the new
	// one's. The ready state is dated now (not deleted), so that running
	// instances take it over the state they hold (the newest wins), and
	// marked as a reset: the same password stored again is the owner's
	// word that it is right now (fixed at Qwen), which a server that Qwen
	// refused it to would otherwise never try again.
	if _, err := tx.ExecContext(ctx, `UPDATE qwen_account_states SET state = 'ready', failure_class = ?, cooldown_until = 0,
		failed_credential = '', state_at = ?, cookies_sealed = NULL, token_expires_at = 0, signin_until = 0, forbidden_run = 0
		WHERE account = ?`, qp.AccountResetMark, now, a.ID); err != nil {
		return fmt.Errorf("store account %s: %w", a.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store account %s: %w", a.ID, err)
	}
	return nil
}

// ErrEnvironmentAccount is the refusal to replace (PutAccount) or remove
// (DeleteAccount) an account that a server still has in its QWEN_ACCOUNTS
// or QWEN_ACCOUNTS_FILE.
var ErrEnvironmentAccount = errors.New("a server still has it in QWEN_ACCOUNTS (or QWEN_ACCOUNTS_FILE) and signs it in with the password given there: change or remove it there")

// EnsureAccount creates a row for an account unless it exists, and marks
// an environment account's row seen at now (a server has it): the server
// calls it at start and every qp.EnvironmentSeenInterval. A stored row is
// left as it is.
func (s *Store) EnsureAccount(ctx context.Context, id, source string, now time.Time) error {
	if err := s.checkGuard(); err != nil {
		return err
	}
	if _, err := s.write.ExecContext(ctx, `INSERT INTO qwen_accounts (id, source, created_at, updated_at, seen_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at
		WHERE qwen_accounts.source = ? AND qwen_accounts.seen_at < excluded.seen_at`,
		id, source, now.UnixMilli(), now.UnixMilli(), now.UnixMilli(), qp.AccountEnvironment); err != nil {
		return fmt.Errorf("add account %s: %w", id, err)
	}
	return nil
}

// DeleteAccount removes an account, unless it is an environment account a
// server still has (seen within qp.EnvironmentAccountLapse before now).
// Its sealed password and tokens (its states, deleted with it) are erased
// from the database's files (eraseWrite).
func (s *Store) DeleteAccount(ctx context.Context, id string, now time.Time) error {
	var deleted int64
	err := s.eraseWrite(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM qwen_accounts WHERE id = ? AND (source <> ? OR seen_at < ?)`,
			id, qp.AccountEnvironment, now.Add(-qp.EnvironmentAccountLapse).UnixMilli())
		if err != nil {
			return err
		}
		deleted, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("delete account %s: %w", id, err)
	}
	if deleted == 1 {
		return nil
	}
	var rows int
	if err := s.write.QueryRowContext(ctx, `SELECT COUNT(*) FROM qwen_accounts WHERE id = ?`, id).Scan(&rows); err != nil {
		return fmt.Errorf("delete account %s: %w", id, err)
	}
	if rows == 0 {
		return fmt.Errorf("delete account %s: %w", id, qp.ErrNotFound)
	}
	return fmt.Errorf("delete account %s: %w", id, ErrEnvironmentAccount)
}

// SaveAccountState writes an account's shared state at upstream unless the
// one stored there is newer: instances that disagree settle on the latest
// finding. Another upstream's state is not touched. An account that has no
// row (removed meanwhile, or not yet written) gets no state.
func (s *Store) SaveAccountState(ctx context.Context, id, upstream string, st qp.AccountState) error {
	if err := s.checkGuard(); err != nil {
		return err
	}
	if _, err := s.write.ExecContext(ctx, `INSERT INTO qwen_account_states (account, upstream, state, failure_class, cooldown_until,
			failed_credential, state_at, forbidden_run)
		SELECT id, ?, ?, ?, ?, ?, ?, ? FROM qwen_accounts WHERE id = ?
		ON CONFLICT (account, upstream) DO UPDATE SET state = excluded.state, failure_class = excluded.failure_class,
			cooldown_until = excluded.cooldown_until, failed_credential = excluded.failed_credential, state_at = excluded.state_at,
			forbidden_run = excluded.forbidden_run
		WHERE qwen_account_states.state_at <= excluded.state_at`,
		qp.UpstreamKey(upstream), st.State, st.FailureClass, unixMs(st.CooldownUntil), st.FailedCredential, st.StateAt.UnixMilli(), st.ForbiddenRun, id); err != nil {
		return fmt.Errorf("save account %s state: %w", id, err)
	}
	if _, err := s.write.ExecContext(ctx, `UPDATE qwen_accounts SET updated_at = ? WHERE id = ?`, time.Now().UnixMilli(), id); err != nil {
		return fmt.Errorf("save account %s state: %w", id, err)
	}
	return nil
}

// AddAccountCounts adds to an account's call and failure totals, in place
// (instances counting at once never lose each other's counts).
func (s *Store) AddAccountCounts(ctx context.Context, id string, calls int64, failures map[string]int64) error {
	if err := s.checkGuard(); err != nil {
		return err
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("count account %s: %w", id, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE qwen_accounts SET calls = calls + ? WHERE id = ?`, calls, id)
	if err != nil {
		return fmt.Errorf("count account %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // removed meanwhile: nothing to count
	}
	for class, n := range failures {
		if _, err := tx.ExecContext(ctx, `INSERT INTO qwen_account_failures (account, class, count) VALUES (?, ?, ?)
			ON CONFLICT (account, class) DO UPDATE SET count = qwen_account_failures.count + excluded.count`, id, class, n); err != nil {
			return fmt.Errorf("count account %s: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("count account %s: %w", id, err)
	}
	return nil
}

// ClaimSignIn takes the right to sign id in until until, in one conditional
// UPDATE, so that of several instances exactly one signs in: none holds it,
// and no token newer than minExpiry (the caller's) is shared. An expiry
// without a token (instances without QWENPROXY_SECRET_KEY store only that)
// is no token to wait for.
//
// The claim, and the token that makes one needless, are upstream's: an
// instance serving another upstream neither waits on nor blocks it.
func (s *Store) ClaimSignIn(ctx context.Context, id, upstream string, now, until, minExpiry time.Time) (bool, error) {
	if err := s.checkGuard(); err != nil {
		return false, err
	}
	res, err := s.write.ExecContext(ctx, `INSERT INTO qwen_account_states (account, upstream, signin_until)
		SELECT id, ?, ? FROM qwen_accounts WHERE id = ?
		ON CONFLICT (account, upstream) DO UPDATE SET signin_until = excluded.signin_until
		WHERE qwen_account_states.signin_until < ?
			AND (qwen_account_states.token_expires_at <= ? OR qwen_account_states.cookies_sealed IS NULL)`,
		qp.UpstreamKey(upstream), until.UnixMilli(), id, now.UnixMilli(), unixMs(minExpiry))
	if err != nil {
		return false, fmt.Errorf("claim sign-in of %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim sign-in of %s: %w", id, err)
	}
	if n == 1 {
		return true, nil
	}
	// No row at all (not yet written): no other instance can be at it.
	var rows int
	if err := s.write.QueryRowContext(ctx, `SELECT COUNT(*) FROM qwen_accounts WHERE id = ?`, id).Scan(&rows); err != nil {
		return false, fmt.Errorf("claim sign-in of %s: %w", id, err)
	}
	return rows == 0, nil
}

// SaveAccountToken stores a sign-in's sealed cookies at upstream and ends
// the claim there. Without sealed cookies (an instance without
// QWENPROXY_SECRET_KEY, or a failed sign-in) it leaves a shared token that
// is still valid as it is: such an instance wiped the token its keyed peers
// were sharing. Another upstream's token stays: serving against it again
// adopts it.
//
// It also drops the account's rows of other upstreams that hold nothing
// any longer — no token that has not expired, no rest still running, no
// refused password, no claim — and have not changed for a day: each
// serve --mock-upstream has a simulator of its own, at an address of its
// own, whose rows would otherwise pile up.
func (s *Store) SaveAccountToken(ctx context.Context, id, upstream, cookiesSealed string, expires time.Time) error {
	if err := s.checkGuard(); err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	up := qp.UpstreamKey(upstream)
	if _, err := s.write.ExecContext(ctx, `INSERT INTO qwen_account_states (account, upstream, cookies_sealed, token_expires_at)
		SELECT id, ?, NULLIF(?, ''), ? FROM qwen_accounts WHERE id = ?
		ON CONFLICT (account, upstream) DO UPDATE SET
		cookies_sealed = CASE WHEN excluded.cookies_sealed IS NULL AND qwen_account_states.cookies_sealed IS NOT NULL AND qwen_account_states.token_expires_at > ?
			THEN qwen_account_states.cookies_sealed ELSE excluded.cookies_sealed END,
		token_expires_at = CASE WHEN excluded.cookies_sealed IS NULL AND qwen_account_states.cookies_sealed IS NOT NULL AND qwen_account_states.token_expires_at > ?
			THEN qwen_account_states.token_expires_at ELSE excluded.token_expires_at END,
		signin_until = 0`,
		up, cookiesSealed, unixMs(expires), id, now, now); err != nil {
		return fmt.Errorf("save account %s token: %w", id, err)
	}
	if _, err := s.write.ExecContext(ctx, `UPDATE qwen_accounts SET updated_at = ? WHERE id = ?`, now, id); err != nil {
		return fmt.Errorf("save account %s token: %w", id, err)
	}
	if _, err := s.write.ExecContext(ctx, `DELETE FROM qwen_account_states WHERE account = ? AND upstream <> ?
		AND token_expires_at < ? AND cooldown_until < ? AND signin_until < ? AND state <> ? AND state_at < ?`,
		id, up, now, now, now, stateAuthFailed, now-staleStateAge.Milliseconds()); err != nil {
		return fmt.Errorf("save account %s token: %w", id, err)
	}
	return nil
}

// stateAuthFailed is the state of an account whose password an upstream
// refused (accounts.StateAuthFailed): it lasts until the password changes,
// so its row is never dropped as stale.
const stateAuthFailed = "auth_failed"

// staleStateAge is how long an upstream's row of an account that holds
// nothing any longer is kept unchanged before another upstream's sign-in
// drops it (SaveAccountToken).
const staleStateAge = 24 * time.Hour

// ResealAccounts rewrites every sealed password and token through reseal,
// in one transaction: after a key rotation every secret is under the new key.
func (s *Store) ResealAccounts(ctx context.Context, reseal func(id, sealed string) (string, error)) (int, error) {
	if err := s.checkGuard(); err != nil {
		return 0, err
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("reseal accounts: %w", err)
	}
	defer tx.Rollback()
	// A row per account and upstream: the password is the account's (the
	// same on each of its rows), each upstream has its own token.
	rows, err := tx.QueryContext(ctx, `SELECT a.id, COALESCE(s.upstream, ''), COALESCE(a.password_sealed, ''), COALESCE(s.cookies_sealed, '')
		FROM qwen_accounts a LEFT JOIN qwen_account_states s ON s.account = a.id ORDER BY a.id`)
	if err != nil {
		return 0, fmt.Errorf("reseal accounts: %w", err)
	}
	type secrets struct{ id, upstream, password, cookies string }
	var all []secrets
	for rows.Next() {
		var x secrets
		if err := rows.Scan(&x.id, &x.upstream, &x.password, &x.cookies); err != nil {
			rows.Close()
			return 0, fmt.Errorf("reseal accounts: %w", err)
		}
		all = append(all, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("reseal accounts: %w", err)
	}
	n, last, counted := 0, "", ""
	for _, x := range all {
		first := x.id != last // the account's first row: its password, resealed once
		last = x.id
		if (!first || x.password == "") && x.cookies == "" {
			continue
		}
		if first && x.password != "" {
			sealed, err := reseal(x.id, x.password)
			if err != nil {
				return 0, fmt.Errorf("reseal account %s: %w", x.id, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE qwen_accounts SET password_sealed = ? WHERE id = ?`, sealed, x.id); err != nil {
				return 0, fmt.Errorf("reseal account %s: %w", x.id, err)
			}
		}
		if x.cookies != "" {
			sealed, err := reseal(x.id, x.cookies)
			if err != nil {
				return 0, fmt.Errorf("reseal account %s: %w", x.id, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE qwen_account_states SET cookies_sealed = ? WHERE account = ? AND upstream = ?`,
				sealed, x.id, x.upstream); err != nil {
				return 0, fmt.Errorf("reseal account %s: %w", x.id, err)
			}
		}
		if counted != x.id { // an account counts once, whatever its rows
			counted = x.id
			n++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("reseal accounts: %w", err)
	}
	return n, nil
}
