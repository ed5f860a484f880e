package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DeleteResponseObject marks the Responses API object of the call with
// request UUID requestID deleted, and removes its item ids (an
// item_reference no longer names its items); deleting it again changes
// nothing.
func (s *Store) DeleteResponseObject(ctx context.Context, requestID string, at time.Time) error {
	if err := s.checkGuard(); err != nil {
		return fmt.Errorf("delete response object %s: %w", requestID, err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete response object %s: %w", requestID, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO deleted_responses (request_id, deleted_at) VALUES (?, ?) ON CONFLICT (request_id) DO NOTHING`,
		requestID, at.UnixMilli()); err != nil {
		return fmt.Errorf("delete response object %s: %w", requestID, err)
	}
	// Its items are no longer an item_reference's to name.
	if err := deleteItemIDsOf(ctx, tx, requestID); err != nil {
		return fmt.Errorf("delete response object %s: item ids: %w", requestID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete response object %s: %w", requestID, err)
	}
	return nil
}

// ResponseObjectDeleted reports whether the call's Responses API object was
// deleted.
func (s *Store) ResponseObjectDeleted(ctx context.Context, requestID string) (bool, error) {
	var one int
	err := s.read.QueryRowKept(ctx, `SELECT 1 FROM deleted_responses WHERE request_id = ?`, requestID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read deleted response object %s: %w", requestID, err)
	}
	return true, nil
}
