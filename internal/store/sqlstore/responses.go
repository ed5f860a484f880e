package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DeleteResponseObject marks the Responses API object of the call with
// request UUID requestID deleted; deleting it again changes nothing.
func (s *Store) DeleteResponseObject(ctx context.Context, requestID string, at time.Time) error {
	if err := s.checkGuard(); err != nil {
		return fmt.Errorf("delete response object %s: %w", requestID, err)
	}
	if _, err := s.write.ExecContext(ctx, `INSERT INTO deleted_responses (request_id, deleted_at) VALUES (?, ?) ON CONFLICT (request_id) DO NOTHING`,
		requestID, at.UnixMilli()); err != nil {
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
