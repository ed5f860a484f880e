package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	qp "qwenproxy"
)

type sessionLocker struct{ s *Store }

// turnStatementTimeout bounds each statement of a turn on its lock's
// connection but the wait for the lock itself (another turn of the same
// conversation may hold it for as long as its answer takes: the dialect
// bounds each slice of that wait, see postgres.LockSession), and the turn's
// reads of sessions on the read pool (by id, by key): a database that
// stops answering (a network partition, a frozen server) held every turn as
// long as its client waited, with no answer and nothing logged.
const turnStatementTimeout = 10 * time.Second

// maxDeadConns bounds the closed connections a turn throws away before it
// gives up: after a server restart every idle one of the pool is closed.
const maxDeadConns = 64

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
	lock, err := l.take(ctx, l.s.dialect.(SessionLocker), id)
	if err != nil {
		return nil, fmt.Errorf("lock session %s: %w", id, err)
	}
	return lock, nil
}

// take takes the lock, once more on a new connection if the server closed
// the first under the statement.
func (l sessionLocker) take(ctx context.Context, locker SessionLocker, id string) (*sessionLock, error) {
	lock, err := l.lockOnce(ctx, locker, id)
	if err != nil && locker.ConnectionLost(err) && ctx.Err() == nil {
		lock, err = l.lockOnce(ctx, locker, id)
	}
	return lock, err
}

func (l sessionLocker) lockOnce(ctx context.Context, locker SessionLocker, id string) (*sessionLock, error) {
	conn, err := l.liveConn(ctx)
	if err != nil {
		return nil, err
	}
	unlock, err := locker.LockSession(ctx, conn, id)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &sessionLock{conn: conn, id: id, rebind: l.s.dialect.Rebind, unlock: unlock, lost: locker.ConnectionLost,
		relock: func(ctx context.Context) (*sessionLock, error) { return l.take(ctx, locker, id) }}, nil
}

// liveConn takes a connection from the lock pool (waiting, with ctx, while
// every one serves another turn) that answers a ping within
// turnStatementTimeout: one the server closed (a restart, a failover,
// pg_terminate_backend) is thrown away for another, and a server that does
// not answer fails the turn.
func (l sessionLocker) liveConn(ctx context.Context) (*sql.Conn, error) {
	for range maxDeadConns {
		conn, err := l.s.locks.Conn(ctx)
		if err != nil {
			return nil, err
		}
		pingCtx, cancel := context.WithTimeout(ctx, turnStatementTimeout)
		err = conn.PingContext(pingCtx)
		cancel()
		if err == nil {
			return conn, nil
		}
		conn.Close() // a failed ping has marked it bad: the pool drops it
		switch {
		case ctx.Err() != nil:
			return nil, err
		case errors.Is(pingCtx.Err(), context.DeadlineExceeded):
			// Silence, not a connection the server closed: the driver
			// says ErrBadConn for any failed ping, and taken for a closed
			// connection it made take try once more, on a new connection
			// that waited its connect timeout too (22 s, not about 10).
			return nil, fmt.Errorf("the database did not answer a ping within %s: %w (%v)", turnStatementTimeout, pingCtx.Err(), err)
		case !errors.Is(err, driver.ErrBadConn):
			// An answer, not silence: a refused connection (the database
			// dropped, the role's password changed) or an error.
			return nil, fmt.Errorf("the database refused the session lock's connection: %w", err)
		}
	}
	return nil, fmt.Errorf("%d connections in a row were closed by the server", maxDeadConns)
}

type sessionLock struct {
	conn   *sql.Conn
	id     string
	rebind func(string) string
	unlock func()
	// lost tells an error of a connection the server closed; relock takes
	// the lock again on a new connection (see onConn).
	lost   func(error) bool
	relock func(ctx context.Context) (*sessionLock, error)
	// read is the state the turn read under the lock (nil: none yet, or
	// the session had none); readLost is set once the lock was taken again
	// after that read: another turn may have saved the session meanwhile
	// (see Save).
	read     *qp.Session
	readLost bool
}

// onConn runs do on the lock's connection. Should the server have closed
// that connection (a restart, a failover, pg_terminate_backend), the lock
// went with it and the statement took no effect: the lock is taken again on
// a new connection and do runs once more there. A save that failed so went
// to the recorder instead, written behind after the lock was let go, and the
// conversation's next turn read the state before it: it hung under the
// answer before, and the model forgot a turn its client had been answered.
func (l *sessionLock) onConn(ctx context.Context, do func(ctx context.Context, conn *sql.Conn) error) error {
	err := l.statement(ctx, do)
	if err == nil || !l.lost(err) || ctx.Err() != nil {
		return err
	}
	next, lockErr := l.relock(ctx) // waits, as the first lock did, for another turn that took it meanwhile
	if lockErr != nil {
		return fmt.Errorf("%w (and taking its lock again on a new connection: %w)", err, lockErr)
	}
	l.unlock() // fails on the closed connection, which is thrown away
	l.conn.Close()
	l.conn, l.unlock = next.conn, next.unlock
	l.readLost = l.read != nil
	return l.statement(ctx, do)
}

// statement runs do on the lock's connection within turnStatementTimeout.
func (l *sessionLock) statement(ctx context.Context, do func(ctx context.Context, conn *sql.Conn) error) error {
	ctx, cancel := context.WithTimeout(ctx, turnStatementTimeout)
	defer cancel()
	return do(ctx, l.conn)
}

func (l *sessionLock) Session(ctx context.Context) (*qp.Session, error) {
	var sess *qp.Session
	err := l.onConn(ctx, func(ctx context.Context, conn *sql.Conn) (err error) {
		sess, err = scanSession(conn.QueryRowContext(ctx, l.rebind(`SELECT `+sessionColumns+` FROM sessions WHERE id = ?`), l.id))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qp.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read session %s: %w", l.id, err)
	}
	l.read, l.readLost = sess, false
	return sess, nil
}

// movedOn reports whether the stored state of the session, read on conn,
// is no longer the one the turn read: another turn saved it meanwhile.
func (l *sessionLock) movedOn(ctx context.Context, conn *sql.Conn) (bool, error) {
	now, err := scanSession(conn.QueryRowContext(ctx, l.rebind(`SELECT `+sessionColumns+` FROM sessions WHERE id = ?`), l.id))
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // deleted meanwhile: Save's own check says so
	}
	if err != nil {
		return false, err
	}
	was := l.read
	return now.MessageCount != was.MessageCount || now.ParentID != was.ParentID || now.ChatID != was.ChatID ||
		!now.LastAccessed.Equal(was.LastAccessed), nil
}

func (l *sessionLock) Save(ctx context.Context, s qp.Session) error {
	err := l.onConn(ctx, func(ctx context.Context, conn *sql.Conn) error {
		var deleted int
		if err := conn.QueryRowContext(ctx, l.rebind(`SELECT COUNT(*) FROM deleted_sessions WHERE id = ? AND chat_id = ?`), s.ID, s.ChatID).Scan(&deleted); err != nil {
			return err
		}
		if deleted > 0 {
			return nil // deleted during the turn: it stays deleted
		}
		if l.readLost {
			// The lock went with its connection after the turn read the
			// session: another turn may have taken it, read the same
			// state and saved its answer, which this save would overwrite.
			if moved, err := l.movedOn(ctx, conn); err != nil || moved {
				if moved {
					return qp.ErrSessionMovedOn
				}
				return err
			}
		}
		_, err := conn.ExecContext(ctx, l.rebind(upsertSession), sessionArgs(&s)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("save session %s: %w", s.ID, err)
	}
	return nil
}

// Discard closes the lock's connection without a statement: database/sql
// drops it rather than pooling it, and the server drops the session's
// lock with it.
func (l *sessionLock) Discard() {
	_ = l.conn.Raw(func(any) error { return driver.ErrBadConn })
	l.conn.Close()
}

func (l *sessionLock) Unlock() {
	l.unlock()
	l.conn.Close()
}
