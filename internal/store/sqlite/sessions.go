package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	qp "qwenproxy"
)

const sessionColumns = `id, chat_id, COALESCE(parent_id, ''), model, first_user_message, message_count,
	COALESCE(conversation_hash, ''), created_at, last_accessed, expires_at`

func scanSession(row interface{ Scan(...any) error }, extra ...any) (*qp.Session, error) {
	var s qp.Session
	var created, accessed, expires int64
	dest := []any{&s.ID, &s.ChatID, &s.ParentID, &s.Model, &s.FirstUserMessage, &s.MessageCount,
		&s.ConversationKey, &created, &accessed, &expires}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastAccessed, s.ExpiresAt = time.UnixMilli(created), time.UnixMilli(accessed), time.UnixMilli(expires)
	return &s, nil
}

// CreateSession inserts a new session row.
func (s *Store) CreateSession(ctx context.Context, sess *qp.Session) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO sessions
		(id, chat_id, parent_id, model, first_user_message, message_count, conversation_hash, created_at, last_accessed, expires_at)
		VALUES (?, ?, NULLIF(?, ''), ?, ?, ?, NULLIF(?, ''), ?, ?, ?)`,
		sess.ID, sess.ChatID, sess.ParentID, sess.Model, sess.FirstUserMessage, sess.MessageCount,
		sess.ConversationKey, sess.CreatedAt.UnixMilli(), sess.LastAccessed.UnixMilli(), sess.ExpiresAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("create session %s: %w", sess.ID, err)
	}
	return nil
}

// Session returns one session by id, expired or not.
func (s *Store) Session(ctx context.Context, id string) (*qp.Session, error) {
	sess, err := scanSession(s.read.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qp.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read session %s: %w", id, err)
	}
	return sess, nil
}

// SessionByKey finds the live session whose next expected history hashes to key.
func (s *Store) SessionByKey(ctx context.Context, key string, now time.Time) (*qp.Session, error) {
	sess, err := scanSession(s.read.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE conversation_hash = ? AND expires_at > ? ORDER BY last_accessed DESC LIMIT 1`, key, now.UnixMilli()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qp.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find session by key: %w", err)
	}
	return sess, nil
}

// AdvanceSession records one completed turn.
func (s *Store) AdvanceSession(ctx context.Context, id string, a qp.SessionAdvance) error {
	res, err := s.write.ExecContext(ctx, `UPDATE sessions SET parent_id = ?, conversation_hash = NULLIF(?, ''),
		message_count = message_count + 1, last_accessed = ?, expires_at = ? WHERE id = ?`,
		a.ParentID, a.ConversationKey, a.At.UnixMilli(), a.ExpiresAt.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("advance session %s: %w", id, err)
	}
	return mustAffect(res, "advance session", id)
}

// TouchSession slides the expiry of a session without advancing it.
func (s *Store) TouchSession(ctx context.Context, id string, at, expiresAt time.Time) error {
	res, err := s.write.ExecContext(ctx, `UPDATE sessions SET last_accessed = ?, expires_at = ? WHERE id = ?`,
		at.UnixMilli(), expiresAt.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("touch session %s: %w", id, err)
	}
	return mustAffect(res, "touch session", id)
}

// ForgetExpiredKeys clears the lookup key of every expired session.
func (s *Store) ForgetExpiredKeys(ctx context.Context, now time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, `UPDATE sessions SET conversation_hash = NULL
		WHERE conversation_hash IS NOT NULL AND expires_at <= ?`, now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("forget expired session keys: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("forget expired session keys: %w", err)
	}
	return int(n), nil
}

func mustAffect(res sql.Result, what, id string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, id, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %s: %w", what, id, qp.ErrNotFound)
	}
	return nil
}
