package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	qp "qwenproxy"
)

type sessionLocker struct{ s *Store }

// LockSession holds id's lock across every process sharing the database. The
// lock has a connection of its own, from the lock pool, on which the session
// is also read and saved: a turn needs no second connection while it holds
// one, so a full pool cannot deadlock turns against each other.
//
// A connection the server closed while the lock was being taken (a restart,
// pg_terminate_backend; the pool pings connections as it hands them out, so
// this is the statement in flight) held no lock: the lock is taken once more
// on a new connection rather than failing the turn with 503.
func (l sessionLocker) LockSession(ctx context.Context, id string) (qp.SessionLock, error) {
	locker := l.s.dialect.(SessionLocker)
	lock, err := l.lockOnce(ctx, locker, id)
	if err != nil && locker.ConnectionLost(err) && ctx.Err() == nil {
		lock, err = l.lockOnce(ctx, locker, id)
	}
	if err != nil {
		return nil, fmt.Errorf("lock session %s: %w", id, err)
	}
	return lock, nil
}

func (l sessionLocker) lockOnce(ctx context.Context, locker SessionLocker, id string) (*sessionLock, error) {
	conn, err := l.s.locks.Conn(ctx)
	if err != nil {
		return nil, err
	}
	unlock, err := locker.LockSession(ctx, conn, id)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &sessionLock{conn: conn, id: id, rebind: l.s.dialect.Rebind, unlock: unlock}, nil
}

type sessionLock struct {
	conn   *sql.Conn
	id     string
	rebind func(string) string
	unlock func()
}

func (l *sessionLock) Session(ctx context.Context) (*qp.Session, error) {
	sess, err := scanSession(l.conn.QueryRowContext(ctx, l.rebind(`SELECT `+sessionColumns+` FROM sessions WHERE id = ?`), l.id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qp.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read session %s: %w", l.id, err)
	}
	return sess, nil
}

func (l *sessionLock) Save(ctx context.Context, s qp.Session) error {
	var deleted int
	err := l.conn.QueryRowContext(ctx, l.rebind(`SELECT COUNT(*) FROM deleted_sessions WHERE id = ? AND chat_id = ?`), s.ID, s.ChatID).Scan(&deleted)
	if err != nil {
		return fmt.Errorf("save session %s: %w", s.ID, err)
	}
	if deleted > 0 {
		return nil // deleted during the turn: it stays deleted
	}
	if _, err := l.conn.ExecContext(ctx, l.rebind(upsertSession), sessionArgs(&s)...); err != nil {
		return fmt.Errorf("save session %s: %w", s.ID, err)
	}
	return nil
}

func (l *sessionLock) Unlock() {
	l.unlock()
	l.conn.Close()
}
