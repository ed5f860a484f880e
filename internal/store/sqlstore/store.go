// Package sqlstore is the SQL both store backends share: every query of the
// qwenproxy store, written once with ? placeholders in the SQL that SQLite and
// PostgreSQL both speak. A backend (internal/store/sqlite,
// internal/store/postgres) opens the connections and supplies a Dialect for
// the little that differs: placeholders, locks between processes, space
// reclamation, and its own embedded migrations.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sync"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/bodies"
)

// The root package's contract, fulfilled (a missing method fails the
// build here, not in a caller).
var (
	_ qp.SessionStore        = (*Store)(nil)
	_ qp.BatchWriter         = (*Store)(nil)
	_ qp.HistoryStore        = (*Store)(nil)
	_ qp.ResponseObjectStore = (*Store)(nil)
	_ qp.APIKeyStore         = (*Store)(nil)
	_ qp.CredentialStore     = (*Store)(nil)
	_ qp.AccountStore        = (*Store)(nil)
)

// Dialect is what a backend does its own way.
type Dialect interface {
	// Name is the backend's name: "sqlite" or "postgres".
	Name() string
	// Rebind rewrites a query's ? placeholders into the backend's form.
	Rebind(query string) string
	// LockMigrations serialises schema migrations between processes sharing
	// the database; unlock releases the lock. conn is the connection the
	// migrations then run on.
	LockMigrations(ctx context.Context, conn *sql.Conn) (unlock func(), err error)
	// LockRollups serialises, between processes, the transactions that
	// change the hourly rollups, body part use counts or sessions, until tx
	// ends. Each takes it first.
	LockRollups(ctx context.Context, tx *sql.Tx) error
	// SessionsDeleted runs in the transaction that deleted sessions, after
	// the deletes, what gives their space back before retention by size
	// measures it again (SQLite: a bounded merge of the session search's
	// index, which writes a delete as markers beside the entries deleted).
	SessionsDeleted(ctx context.Context, tx *sql.Tx) error
	// ReclaimSpace gives the space of deleted rows back, a little at a time.
	ReclaimSpace(ctx context.Context, db *sql.DB) error
	// EraseDeleted makes what tx's connection deletes or overwrites from
	// now on erased from the file, not left in freed space (SQLite:
	// secure_delete; PostgreSQL keeps old row versions until a vacuum
	// whatever is asked, and does nothing here).
	EraseDeleted(ctx context.Context, tx *sql.Tx) error
	// EraseFreed rewrites the database so that no copy of what was deleted
	// or overwritten before, erased or not, stays in its files (SQLite:
	// VACUUM, then TruncateJournal). erased is false where the backend
	// cannot (PostgreSQL: old row versions stay until a vacuum). An error
	// wrapping ErrNotErased says the files may still hold such copies.
	EraseFreed(ctx context.Context, db *sql.DB) (erased bool, err error)
	// TruncateJournal moves the journal into the database and empties it,
	// so that the pages it kept, as they were before a write, leave it too
	// (SQLite: a TRUNCATE checkpoint; PostgreSQL: nothing, its WAL is the
	// server's). An error wrapping ErrNotErased says it could not.
	TruncateJournal(ctx context.Context, db *sql.DB) error
	// Size is what retention by size (RETENTION_MAX_BYTES) measures, in
	// bytes.
	Size(ctx context.Context, db *sql.DB) (int64, error)
	// SizeCountsRows says Size counts every call's rows (SQLite: the
	// file's pages), not only the stored bodies (PostgreSQL): there a call
	// recorded without bodies counts nothing.
	SizeCountsRows() bool
	// SizeIsCheap says Size may be measured after every batch of
	// retention's deletes (SQLite: three pragmas), not only after each round
	// (PostgreSQL: a scan of every stored body).
	SizeIsCheap() bool
	// ReusesRowIDs says the database gives a new row the id of a deleted
	// one (SQLite: the largest id plus one), so the store reserves the ids
	// of new calls' rows itself (see reserveIDs).
	ReusesRowIDs() bool
	// PartGrace is how long a body part no call uses is kept after its last
	// use: 0 where writers are serialised (SQLite), else long enough that a
	// writer which found the part can still reference it (see partTouch).
	PartGrace() time.Duration
	// SessionSearch is the condition that a session's first message
	// contains search, without regard to case for every letter (the
	// session search, documented as case-insensitive), and its arguments;
	// it may read db to choose how the sessions are found.
	SessionSearch(ctx context.Context, db RowQuerier, search string) (cond string, args []any, err error)
	// HoldsString is the condition that the text expression holds its one
	// argument, letter case counting.
	HoldsString(expr string) string
	// UndefinedTable reports whether err says a table does not exist.
	UndefinedTable(err error) bool
	// MigrationLockTimedOut reports whether err says a migration gave up
	// waiting for a table another session holds (see LockMigrations).
	MigrationLockTimedOut(err error) bool
	// Refuses reports whether err says the database refuses a statement
	// for the values it was given (a constraint, a value too big or of the
	// wrong type), not for its own state (locked, full, gone).
	Refuses(err error) bool
	// Busy reports whether err says a lock another holds was waited for
	// past the database's bound (DATABASE_BUSY_TIMEOUT), which is
	// qp.ErrDatabaseBusy.
	Busy(err error) bool
	// BatchContext is the context a batch's statements run under, given
	// the caller's (which bounds the write).
	BatchContext(ctx context.Context) context.Context
}

// SessionLocker is implemented by dialects of databases that several proxy
// processes share: it holds a session's lock, across all of them, on conn.
type SessionLocker interface {
	LockSession(ctx context.Context, conn *sql.Conn, id string) (unlock func(), err error)
	// ConnectionLost reports whether err says the server closed the
	// connection under the statement (a restart, pg_terminate_backend):
	// the statement took no effect, and a new connection may succeed.
	ConnectionLost(err error) bool
}

// Store implements the qwenproxy store interfaces over database/sql.
type Store struct {
	dialect    Dialect
	write      *pool   // writes; one connection on SQLite
	read       *pool   // reads; the same pool as write on PostgreSQL
	locks      *sql.DB // connections held by session locks (shared databases)
	migrations fs.FS
	describe   string
	guard      func() error
	closeGuard func() error // Config.CloseGuard
	moved      func() error // Config.Moved
	discard    func() error // Config.Discard
	closedHook func() error // Config.Closed
	// verdict is what the last check Notice began found (Probe's answer
	// while a file is not the one opened).
	verdictMu sync.Mutex
	verdict   error
	// noticing is held while the guard's check Notice began runs, and by
	// Close as it begins; closed (under it) says no more is begun.
	noticing sync.Mutex
	closed   bool

	codec *bodies.Codec // bodies' compression
	known knownParts    // body parts recently stored

	reencodeEncoding func() // a test's: runs while ReencodeBodies encodes a batch
	redactEncoded    func() // a test's: runs between RedactHistory's read of a batch and its write
	// schema is the last migration this binary embeds (0: none known), which
	// Check compares with the database's.
	schema int
}

// Config is what a backend hands New.
type Config struct {
	Dialect     Dialect
	Write, Read *sql.DB // may be the same pool
	// Locks is the pool whose connections hold session locks for whole
	// turns (SessionLocker dialects only), apart from Write so that turns
	// in progress never starve the recorder or the history reads.
	Locks      *sql.DB
	Migrations fs.FS  // NNNN_name.sql files at its root
	Describe   string // names the database in messages, without secrets
	// Guard, when set, is checked before every write and health check: an
	// error (a SQLite file deleted or replaced under the server) fails them,
	// so the recorder keeps its records in the spool instead of writing
	// them where no one will find them.
	Guard func() error
	// CloseGuard, when set, runs in Guard's place as the store closes: the
	// last moment a file deleted under the server can still be saved, so it
	// tries what Guard may be pacing (a failed save is tried again each
	// minute).
	CloseGuard func() error
	// Moved, when set, is Guard's cheap look (a stat of each file, no
	// query): nil while every file at its path is the one the connections
	// hold, else Probe's answer until Guard's check has said more, naming
	// the file that moved (the database file, or its -wal or -shm: what
	// each means differs). Notice runs Guard when it says one moved.
	Moved func() error
	// Discard, when set, removes the database the open made where there
	// was none (a SQLite file, its journals, its directories), once the
	// store is closed: see Store.Discard.
	Discard func() error
	// Closed, when set, runs once Close has closed the pools: what only a
	// database no connection holds any more allows (a SQLite file's
	// journals left by a file deleted under the store) or shows (a WAL
	// its close could not checkpoint). Close returns its error.
	Closed func() error
}

// New returns a store over the configured pools.
func New(c Config) *Store {
	return &Store{dialect: c.Dialect, write: newPool(c.Write, c.Dialect.Rebind), read: newPool(c.Read, c.Dialect.Rebind),
		locks: c.Locks, migrations: c.Migrations, describe: c.Describe, codec: bodies.NewCodec(), guard: c.Guard,
		closeGuard: c.CloseGuard, moved: c.Moved, discard: c.Discard, closedHook: c.Closed, schema: lastMigration(c.Migrations)}
}

// Discard closes a store whose opening failed after the open itself — its
// first migration refused or failed, a start that then failed — and
// removes the database when the open made it (a SQLite file that was not
// there): left behind, empty or half-migrated, the next start took it for
// a new database. A database that was there before is only closed.
func (s *Store) Discard() error {
	err := s.Close()
	if s.discard != nil {
		if derr := s.discard(); err == nil {
			err = derr
		}
	}
	return err
}

// Backend is the dialect's name: "sqlite" or "postgres".
func (s *Store) Backend() string { return s.dialect.Name() }

// String names the database (a file path, or a URL without its password).
func (s *Store) String() string { return s.describe }

// Locker returns the store's session locker when several processes may use
// the database at once, so that session state must be read from it and
// locked in it; nil otherwise.
func (s *Store) Locker() qp.SessionLocker {
	if _, ok := s.dialect.(SessionLocker); !ok {
		return nil
	}
	return sessionLocker{s}
}

// DB is the underlying pool, for tests and tools that read the tables
// directly (with the backend's placeholders).
func (s *Store) DB() *sql.DB { return s.read.DB }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.dialect.Name(), err)
	}
	return nil
}

// Close closes the pools. A SQLite file deleted or replaced while the store
// was open is first saved beside its path (the guard's save), and Close
// returns the guard's error saying where (ErrFileGone); one whose WAL the
// close could not checkpoint returns the Closed hook's error saying so.
func (s *Store) Close() error {
	// A check Notice began ends first, and none begins after.
	s.noticing.Lock()
	s.closed = true
	s.noticing.Unlock()
	// A file deleted or replaced under the store is saved by the guard
	// when a write or a check first meets it; a server idle since then has
	// not, and closing frees the only copy of every call it holds.
	var gone error
	if s.closeGuard != nil {
		gone = s.closeGuard()
	} else {
		gone = s.checkGuard()
	}
	s.read.closeKept()
	s.write.closeKept()
	err := s.write.Close()
	for _, other := range []*sql.DB{s.read.DB, s.locks} {
		if other != nil && other != s.write.DB {
			if cerr := other.Close(); err == nil {
				err = cerr
			}
		}
	}
	if err != nil {
		return fmt.Errorf("close %s: %w", s.dialect.Name(), err)
	}
	if s.closedHook != nil {
		if kept := s.closedHook(); kept != nil && gone == nil {
			gone = kept
		}
	}
	if gone != nil {
		return fmt.Errorf("close %s: %w", s.dialect.Name(), gone)
	}
	return nil
}

// Check proves the database takes writes and reads: it rewrites one row and
// reads it back.
func (s *Store) Check(ctx context.Context) error {
	if err := s.checkGuard(); err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	if _, err := s.write.ExecContext(ctx, `INSERT INTO health (id, checked_at) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`, now); err != nil {
		if s.dialect.UndefinedTable(err) {
			// The schema went under the server (dropped, or the database
			// dropped and made again): its tables come back only with
			// the migrations a start runs.
			return fmt.Errorf("the database has no qwenproxy tables any more (dropped under the server?): restart the server to migrate it; what it recorded meanwhile waits in its spool: health write: %w", err)
		}
		return fmt.Errorf("health write: %w", err)
	}
	var got int64
	if err := s.write.QueryRowContext(ctx, `SELECT checked_at FROM health WHERE id = 1`).Scan(&got); err != nil {
		return fmt.Errorf("health read: %w", err)
	}
	if got != now {
		return fmt.Errorf("health read: got %d, wrote %d", got, now)
	}
	return s.checkSchema(ctx)
}

// Notice is the liveness probe's look at the database's files (GET
// /health): a stat of each, no query. When one is no longer the file
// opened (a SQLite file deleted or replaced under the server), it runs the
// guard — which saves the calls of a deleted file beside its path, as a
// write or a readiness check meeting it does — in the background: the
// probe answers at once, never waiting on the copy (a large history's
// takes minutes, and a probe that timed out meanwhile would have the
// server killed, losing the calls only it held). One check runs at a time:
// a look while one runs begins none. A monitor probing only /health never
// made the server notice, and an idle server saved the calls only at its
// stop.
func (s *Store) Notice() {
	if s.moved == nil || s.moved() == nil || !s.noticing.TryLock() {
		return
	}
	if s.closed {
		s.noticing.Unlock()
		return
	}
	go func() {
		defer s.noticing.Unlock()
		err := s.checkGuard() // the refusals, /health/ready and the log say what it found
		s.verdictMu.Lock()
		s.verdict = err
		s.verdictMu.Unlock()
	}()
}

// Probe is Check for the readiness probes (GET /health/ready and
// /health/detailed): a database file no longer the one opened (a SQLite
// file deleted or replaced under the server) is not checked on the request
// path — the guard's checkpoint and its save of the calls the file held
// take minutes on a large history, more than a probe waits — but in the
// background, as GET /health's Notice does; the probe is refused at once
// with what the last such check found, or, until it has found it, Moved's
// answer naming the file that moved and that it is being checked.
func (s *Store) Probe(ctx context.Context) error {
	var checking error
	if s.moved != nil {
		checking = s.moved()
	}
	if checking == nil {
		err := s.Check(ctx)
		if err == nil {
			s.verdictMu.Lock()
			s.verdict = nil // a file put back: what was found before is over
			s.verdictMu.Unlock()
		}
		return err
	}
	s.Notice()
	s.verdictMu.Lock()
	err := s.verdict
	s.verdictMu.Unlock()
	if err == nil {
		return checking
	}
	return err
}

// Noticed returns once the check Notice began, if one runs, has ended.
func (s *Store) Noticed() {
	s.noticing.Lock()
	s.noticing.Unlock()
}

// ReclaimSpace gives the space of deleted rows back to the file system.
func (s *Store) ReclaimSpace(ctx context.Context) error {
	if err := s.dialect.ReclaimSpace(ctx, s.write.DB); err != nil {
		return fmt.Errorf("reclaim space: %w", err)
	}
	return nil
}

// checkGuard runs the backend's guard, if any.
func (s *Store) checkGuard() error {
	if s.guard == nil {
		return nil
	}
	return s.guard()
}
