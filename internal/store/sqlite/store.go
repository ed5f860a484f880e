// Package sqlite is the SQLite backend of the qwenproxy store: the default,
// embedded database. Writes go through a single connection (SQLite allows one
// writer at a time, and one connection avoids "database is locked" between
// our own writers); reads use a separate pool.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	qp "qwenproxy"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
)

// Options tune the connection. Zero values take the defaults.
type Options struct {
	BusyTimeoutMS int // default 5000
}

// Store implements qwenproxy.Store on one SQLite file.
type Store struct {
	path  string
	write *sql.DB
	read  *sql.DB

	prepMu   sync.Mutex
	prepared *writeStatements // on the write connection, made on first use
}

var _ qp.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path. Call Migrate
// before use.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	if opt.BusyTimeoutMS == 0 {
		opt.BusyTimeoutMS = 5000
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open store: create directory %s: %w", dir, err)
		}
	}
	write, err := sql.Open("sqlite", dsn(path, opt, true))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn(path, opt, false))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	s := &Store{path: path, write: write, read: read}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// dsn puts every PRAGMA in the connection string: PRAGMAs are per connection,
// and a pool opens connections on its own.
func dsn(path string, opt Options, writer bool) string {
	q := url.Values{}
	// Before anything else: auto_vacuum only takes effect on a new file, and
	// incremental mode lets retention give space back without a full VACUUM.
	q.Add("_pragma", "auto_vacuum(INCREMENTAL)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opt.BusyTimeoutMS))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "wal_autocheckpoint(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	if writer {
		// Take the write lock at BEGIN, so a transaction never fails half-way
		// on an upgrade from a read lock.
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

// Close closes both pools.
func (s *Store) Close() error {
	if s.prepared != nil {
		s.prepared.close()
	}
	werr := s.write.Close()
	rerr := s.read.Close()
	if werr != nil {
		return fmt.Errorf("close sqlite: %w", werr)
	}
	if rerr != nil {
		return fmt.Errorf("close sqlite: %w", rerr)
	}
	return nil
}

// Check proves the database takes writes and reads: it rewrites one row and
// reads it back.
func (s *Store) Check(ctx context.Context) error {
	now := time.Now().UnixMilli()
	if _, err := s.write.ExecContext(ctx, `INSERT OR REPLACE INTO health (id, checked_at) VALUES (1, ?)`, now); err != nil {
		return fmt.Errorf("health write: %w", err)
	}
	var got int64
	if err := s.read.QueryRowContext(ctx, `SELECT checked_at FROM health WHERE id = 1`).Scan(&got); err != nil {
		return fmt.Errorf("health read: %w", err)
	}
	if got != now {
		return fmt.Errorf("health read: got %d, wrote %d", got, now)
	}
	return nil
}
