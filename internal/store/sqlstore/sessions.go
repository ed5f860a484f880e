package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	qp "qwenproxy"
)

const sessionColumns = `id, chat_id, COALESCE(parent_id, ''), model, first_user_message, message_count,
	COALESCE(conversation_hash, ''), created_at, last_accessed, expires_at, told_system_hash, told_tools_hash, COALESCE(account, '')`

func scanSession(row interface{ Scan(...any) error }, extra ...any) (*qp.Session, error) {
	var s qp.Session
	var created, accessed, expires int64
	dest := []any{&s.ID, &s.ChatID, &s.ParentID, &s.Model, &s.FirstUserMessage, &s.MessageCount,
		&s.ConversationKey, &created, &accessed, &expires, &s.ToldSystemHash, &s.ToldToolsHash, &s.Account}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastAccessed, s.ExpiresAt = time.UnixMilli(created), time.UnixMilli(accessed), time.UnixMilli(expires)
	return &s, nil
}

// upsertSession writes a session's whole current state.
const upsertSession = `INSERT INTO sessions
	(id, chat_id, parent_id, model, first_user_message, message_count, conversation_hash, created_at, last_accessed, expires_at,
		told_system_hash, told_tools_hash, account)
	VALUES (?, ?, NULLIF(?, ''), ?, ?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, NULLIF(?, ''))
	ON CONFLICT(id) DO UPDATE SET chat_id = excluded.chat_id, parent_id = excluded.parent_id, model = excluded.model, account = excluded.account,
		message_count = excluded.message_count, conversation_hash = excluded.conversation_hash,
		told_system_hash = excluded.told_system_hash, told_tools_hash = excluded.told_tools_hash,
		last_accessed = excluded.last_accessed, expires_at = excluded.expires_at
	-- A state replayed late from the spool never overwrites a newer one.
	WHERE excluded.message_count > sessions.message_count
		OR (excluded.message_count = sessions.message_count AND excluded.last_accessed >= sessions.last_accessed)`

func sessionArgs(s *qp.Session) []any {
	return []any{s.ID, s.ChatID, s.ParentID, s.Model, s.FirstUserMessage, s.MessageCount,
		s.ConversationKey, s.CreatedAt.UnixMilli(), s.LastAccessed.UnixMilli(), s.ExpiresAt.UnixMilli(), s.ToldSystemHash, s.ToldToolsHash, s.Account}
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
