package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	qp "qwenproxy"
)

var _ qp.KeyCallStore = (*Store)(nil)

// TakeKeyCall records a call of a limited key unless the key has its stored
// limit of unexpired calls already. The key's row is updated first, to no
// change: on PostgreSQL that row lock makes two instances admitting calls of
// one key at once count one after the other (on SQLite the write
// transaction does), so the limit holds between them exactly.
func (s *Store) TakeKeyCall(ctx context.Context, keyID, callID string, now, expires time.Time) (bool, int, error) {
	if err := s.checkGuard(); err != nil {
		return false, 0, err
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return false, 0, fmt.Errorf("take a call of key %s: %w", keyID, err)
	}
	defer tx.Rollback()
	var limit int
	err = tx.QueryRowContext(ctx, `UPDATE api_keys SET max_concurrent = max_concurrent WHERE id = ? RETURNING max_concurrent`, keyID).Scan(&limit)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && limit <= 0) {
		return true, 0, nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("take a call of key %s: %w", keyID, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM key_calls WHERE key_id = ? AND expires_at <= ?`, keyID, now.UnixMilli()); err != nil {
		return false, 0, fmt.Errorf("take a call of key %s: delete expired: %w", keyID, err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM key_calls WHERE key_id = ?`, keyID).Scan(&n); err != nil {
		return false, 0, fmt.Errorf("take a call of key %s: count: %w", keyID, err)
	}
	taken := n < limit
	if taken {
		if _, err := tx.ExecContext(ctx, `INSERT INTO key_calls (call_id, key_id, expires_at) VALUES (?, ?, ?)`, callID, keyID, expires.UnixMilli()); err != nil {
			return false, 0, fmt.Errorf("take a call of key %s: %w", keyID, err)
		}
	}
	if err := tx.Commit(); err != nil { // refused, the expired rows stay deleted
		return false, 0, fmt.Errorf("take a call of key %s: %w", keyID, err)
	}
	return taken, limit, nil
}

// RenewKeyCalls moves the leases of calls still in flight.
func (s *Store) RenewKeyCalls(ctx context.Context, callIDs []string, expires time.Time) error {
	if err := s.checkGuard(); err != nil {
		return err
	}
	ids := make([]any, len(callIDs))
	for i, id := range callIDs {
		ids[i] = id
	}
	err := inLists(ids, func(size int, list []any) error {
		args := append([]any{expires.UnixMilli()}, list...)
		_, err := s.write.ExecContext(ctx, renewKeyCalls(size), args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("renew key calls: %w", err)
	}
	return nil
}

var renewKeyCalls = byRows(func(n int) string {
	return `UPDATE key_calls SET expires_at = ? WHERE call_id IN (` + strings.TrimSuffix(strings.Repeat("?,", n), ",") + `)`
})

// EndKeyCall removes a call's row.
func (s *Store) EndKeyCall(ctx context.Context, callID string) error {
	if err := s.checkGuard(); err != nil {
		return err
	}
	if _, err := s.write.ExecContext(ctx, `DELETE FROM key_calls WHERE call_id = ?`, callID); err != nil {
		return fmt.Errorf("end key call %s: %w", callID, err)
	}
	return nil
}
