package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	qp "qwenproxy"
)

var _ qp.ExportTicketStore = (*Store)(nil)

// AddExportTicket stores t unless max unexpired tickets wait; the expired
// ones are deleted first, so the table holds at most max rows and a minute's
// worth. Instances adding at once may each see room for one more: the bound
// holds up to that race.
func (s *Store) AddExportTicket(ctx context.Context, t qp.ExportTicket, now time.Time, max int) (time.Time, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return time.Time{}, fmt.Errorf("add export ticket: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM export_tickets WHERE expires_at <= ?`, now.UnixMilli()); err != nil {
		return time.Time{}, fmt.Errorf("add export ticket: delete expired: %w", err)
	}
	var n int
	var first int64
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(expires_at), 0) FROM export_tickets`).Scan(&n, &first); err != nil {
		return time.Time{}, fmt.Errorf("add export ticket: count: %w", err)
	}
	if n >= max {
		if err := tx.Commit(); err != nil { // the expired ones stay deleted
			return time.Time{}, fmt.Errorf("add export ticket: %w", err)
		}
		return time.UnixMilli(first), qp.ErrTooManyTickets
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO export_tickets (hash, query, filename, key_id, expires_at) VALUES (?, ?, ?, ?, ?)`,
		t.Hash, t.Query, t.Filename, t.KeyID, t.ExpiresAt.UnixMilli()); err != nil {
		return time.Time{}, fmt.Errorf("add export ticket: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return time.Time{}, fmt.Errorf("add export ticket: %w", err)
	}
	return time.Time{}, nil
}

// TakeExportTicket returns the unexpired ticket of hash and, unless peek,
// deletes it in the same statement: of two instances taking it at once,
// one gets it.
func (s *Store) TakeExportTicket(ctx context.Context, hash string, now time.Time, peek bool) (qp.ExportTicket, error) {
	q := `DELETE FROM export_tickets WHERE hash = ? AND expires_at > ? RETURNING query, filename, key_id, expires_at`
	db := s.write
	if peek {
		q, db = `SELECT query, filename, key_id, expires_at FROM export_tickets WHERE hash = ? AND expires_at > ?`, s.read
	}
	t := qp.ExportTicket{Hash: hash}
	var expires int64
	err := db.QueryRowContext(ctx, q, hash, now.UnixMilli()).Scan(&t.Query, &t.Filename, &t.KeyID, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return qp.ExportTicket{}, fmt.Errorf("export ticket: %w", qp.ErrNotFound)
	}
	if err != nil {
		return qp.ExportTicket{}, fmt.Errorf("take export ticket: %w", err)
	}
	t.ExpiresAt = time.UnixMilli(expires)
	return t, nil
}
