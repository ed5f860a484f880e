package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	qp "qwenproxy"
)

const accountColumns = `id, source, COALESCE(password_sealed, ''), COALESCE(cookies_sealed, ''), token_expires_at, state, failure_class,
	cooldown_until, failed_credential, state_at, signin_until, calls, created_at, updated_at, seen_at`

func scanAccount(row interface{ Scan(...any) error }) (*qp.AccountRecord, error) {
	var a qp.AccountRecord
	var exp, cooldown, stateAt, signin, created, updated, seen int64
	if err := row.Scan(&a.ID, &a.Source, &a.PasswordSealed, &a.CookiesSealed, &exp, &a.State, &a.FailureClass,
		&cooldown, &a.FailedCredential, &stateAt, &signin, &a.Calls, &created, &updated, &seen); err != nil {
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

// Accounts lists every Qwen account.
func (s *Store) Accounts(ctx context.Context) ([]qp.AccountRecord, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+accountColumns+` FROM qwen_accounts ORDER BY id`)
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
// state starts afresh (new credentials deserve a new try), its counts stay.
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
	res, err := s.write.ExecContext(ctx, `INSERT INTO qwen_accounts (id, source, password_sealed, state, state_at, created_at, updated_at)
		VALUES (?, ?, NULLIF(?, ''), 'ready', ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET source = excluded.source, password_sealed = excluded.password_sealed,
			cookies_sealed = NULL, token_expires_at = 0, state = 'ready', failure_class = '', cooldown_until = 0,
			failed_credential = '', state_at = excluded.state_at, signin_until = 0, updated_at = excluded.updated_at, seen_at = 0
		WHERE qwen_accounts.source <> ? OR qwen_accounts.seen_at < ?`,
		a.ID, a.Source, a.PasswordSealed, now, now, now, qp.AccountEnvironment, a.UpdatedAt.Add(-qp.EnvironmentAccountLapse).UnixMilli())
	if err != nil {
		return fmt.Errorf("store account %s: %w", a.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store account %s: %w", a.ID, err)
	} else if n == 0 {
		return fmt.Errorf("store account %s: %w", a.ID, ErrEnvironmentAccount)
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
func (s *Store) DeleteAccount(ctx context.Context, id string, now time.Time) error {
	if err := s.checkGuard(); err != nil {
		return err
	}
	res, err := s.write.ExecContext(ctx, `DELETE FROM qwen_accounts WHERE id = ? AND (source <> ? OR seen_at < ?)`,
		id, qp.AccountEnvironment, now.Add(-qp.EnvironmentAccountLapse).UnixMilli())
	if err != nil {
		return fmt.Errorf("delete account %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete account %s: %w", id, err)
	} else if n == 1 {
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

// SaveAccountState writes an account's shared state unless the stored one
// is newer: instances that disagree settle on the latest finding.
func (s *Store) SaveAccountState(ctx context.Context, id string, st qp.AccountState) error {
	if err := s.checkGuard(); err != nil {
		return err
	}
	if _, err := s.write.ExecContext(ctx, `UPDATE qwen_accounts SET state = ?, failure_class = ?, cooldown_until = ?,
		failed_credential = ?, state_at = ?, updated_at = ? WHERE id = ? AND state_at <= ?`,
		st.State, st.FailureClass, unixMs(st.CooldownUntil), st.FailedCredential, st.StateAt.UnixMilli(), time.Now().UnixMilli(),
		id, st.StateAt.UnixMilli()); err != nil {
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
func (s *Store) ClaimSignIn(ctx context.Context, id string, now, until, minExpiry time.Time) (bool, error) {
	if err := s.checkGuard(); err != nil {
		return false, err
	}
	res, err := s.write.ExecContext(ctx, `UPDATE qwen_accounts SET signin_until = ?
		WHERE id = ? AND signin_until < ? AND (token_expires_at <= ? OR cookies_sealed IS NULL)`,
		until.UnixMilli(), id, now.UnixMilli(), unixMs(minExpiry))
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

// SaveAccountToken stores a sign-in's sealed cookies and ends the claim.
// Without sealed cookies (an instance without QWENPROXY_SECRET_KEY, or a
// failed sign-in) it leaves a shared token that is still valid as it is:
// such an instance wiped the token its keyed peers were sharing.
func (s *Store) SaveAccountToken(ctx context.Context, id, cookiesSealed string, expires time.Time) error {
	if err := s.checkGuard(); err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	if _, err := s.write.ExecContext(ctx, `UPDATE qwen_accounts SET
		cookies_sealed = CASE WHEN ? = '' AND cookies_sealed IS NOT NULL AND token_expires_at > ? THEN cookies_sealed ELSE NULLIF(?, '') END,
		token_expires_at = CASE WHEN ? = '' AND cookies_sealed IS NOT NULL AND token_expires_at > ? THEN token_expires_at ELSE ? END,
		signin_until = 0, updated_at = ? WHERE id = ?`,
		cookiesSealed, now, cookiesSealed, cookiesSealed, now, unixMs(expires), now, id); err != nil {
		return fmt.Errorf("save account %s token: %w", id, err)
	}
	return nil
}

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
	rows, err := tx.QueryContext(ctx, `SELECT id, COALESCE(password_sealed, ''), COALESCE(cookies_sealed, '') FROM qwen_accounts`)
	if err != nil {
		return 0, fmt.Errorf("reseal accounts: %w", err)
	}
	type secrets struct{ id, password, cookies string }
	var all []secrets
	for rows.Next() {
		var x secrets
		if err := rows.Scan(&x.id, &x.password, &x.cookies); err != nil {
			rows.Close()
			return 0, fmt.Errorf("reseal accounts: %w", err)
		}
		all = append(all, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("reseal accounts: %w", err)
	}
	n := 0
	for _, x := range all {
		if x.password == "" && x.cookies == "" {
			continue
		}
		var err error
		if x.password != "" {
			if x.password, err = reseal(x.id, x.password); err != nil {
				return 0, fmt.Errorf("reseal account %s: %w", x.id, err)
			}
		}
		if x.cookies != "" {
			if x.cookies, err = reseal(x.id, x.cookies); err != nil {
				return 0, fmt.Errorf("reseal account %s: %w", x.id, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE qwen_accounts SET password_sealed = NULLIF(?, ''), cookies_sealed = NULLIF(?, '') WHERE id = ?`,
			x.password, x.cookies, x.id); err != nil {
			return 0, fmt.Errorf("reseal account %s: %w", x.id, err)
		}
		n++
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("reseal accounts: %w", err)
	}
	return n, nil
}
