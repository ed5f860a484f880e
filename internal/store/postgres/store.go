// Package postgres is the PostgreSQL backend of the qwenproxy store: the
// database several proxy instances share. It runs the shared SQL of
// internal/store/sqlstore through pgx's database/sql driver, and brings what
// sharing needs: advisory locks that serialise migrations, the hourly
// rollups' read-modify-write and each session's turns across processes.
package postgres

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"qwenproxy/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Options tune the pools. Zero values take the defaults.
type Options struct {
	// MaxConns bounds the connections that hold session locks, one per turn
	// in progress (default 32). Recording and reads have their own
	// connections besides, at most poolConns.
	MaxConns int
	// ConnMaxLifetime is how long a connection serves before it is replaced
	// (default a minute): a setting changed on the server (ALTER ROLE …
	// SET statement_timeout) reaches only new connections, and the pools
	// kept theirs as long as the process ran, so undoing a setting that made
	// every write fail needed a restart.
	ConnMaxLifetime time.Duration
	// LockTimeout bounds how long a write or read waits for a lock another
	// holds (an operator's LOCK TABLE, VACUUM FULL, ALTER TABLE): PostgreSQL's
	// lock_timeout on the pool of writes and reads, unless the URL sets one;
	// 0 leaves the server's. The recorder's batch then fails and its records
	// go to the spool, as SQLite's do after DATABASE_BUSY_TIMEOUT. The
	// session locks' pool has sessionLockSlice instead: a turn waits for
	// another of its session as long as that takes, a slice at a time (see
	// LockSession).
	LockTimeout time.Duration
	// ReadIdleTimeout bounds how long a read of the server's answer waits
	// with no byte from it; 0 leaves reads unbounded but for their
	// contexts, as the server's own calls are. The CLI's reading commands
	// set it: a database that froze after the connection was made held them
	// for ever, without a word.
	ReadIdleTimeout time.Duration
}

// poolConns bounds the connections of the recorder's writes, the history
// reads and everything else but session locks.
const poolConns = 8

// IsURL reports whether s names a PostgreSQL database.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// defaultConnectTimeout bounds a new connection, its start-up included,
// unless the URL's connect_timeout says otherwise.
const defaultConnectTimeout = 10 * time.Second

// Open connects to the database at a postgres:// URL. Call Migrate before
// use. Unknown URL parameters are passed to the server as settings
// (search_path=…, synchronous_commit=…).
func Open(ctx context.Context, rawURL string, opt Options) (*sqlstore.Store, error) {
	describe := Redact(rawURL)
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", describe, err)
	}
	if cfg.ConnectTimeout == 0 {
		// A server that accepts a connection and never answers (hung, or
		// behind a proxy whose backend is gone) held a call waiting on it
		// as long as its client would wait: minutes. connect_timeout in the
		// URL overrides it.
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	if idle := opt.ReadIdleTimeout; idle > 0 {
		dial := cfg.DialFunc
		cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &idleConn{Conn: conn, idle: idle}, nil
		}
	}
	lifetime := cmp.Or(opt.ConnMaxLifetime, time.Minute)
	writes := cfg.Copy()
	if _, set := writes.RuntimeParams["lock_timeout"]; !set && opt.LockTimeout > 0 {
		writes.RuntimeParams["lock_timeout"] = strconv.FormatInt(opt.LockTimeout.Milliseconds(), 10)
	}
	db := stdlib.OpenDB(*writes, stdlib.OptionShouldPing(noDriverPing), stdlib.OptionResetSession(pingOnCheckout))
	db.SetMaxOpenConns(poolConns)
	db.SetMaxIdleConns(poolConns)
	db.SetConnMaxLifetime(lifetime)
	// The lock pool's connections are pinged by the session locker itself,
	// with a bound of its own: checking one out may wait (with the turn's
	// context) for another turn to return it, the ping may not.
	// The lock pool's waits for a lock end at sessionLockSlice (see
	// LockSession), the URL's lock_timeout or none.
	lockCfg := cfg.Copy()
	lockCfg.RuntimeParams["lock_timeout"] = strconv.FormatInt(sessionLockSlice.Milliseconds(), 10)
	locks := stdlib.OpenDB(*lockCfg, stdlib.OptionShouldPing(func(context.Context, stdlib.ShouldPingParams) bool { return false }))
	locks.SetMaxOpenConns(cmp.Or(opt.MaxConns, 32))
	locks.SetMaxIdleConns(cmp.Or(opt.MaxConns, 32))
	locks.SetConnMaxIdleTime(5 * time.Minute)
	locks.SetConnMaxLifetime(lifetime) // a lock's connection is never closed while it holds the lock: database/sql retires it when it comes back
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		db.Close()
		locks.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := sqlstore.New(sqlstore.Config{Dialect: dialect{}, Write: db, Read: db, Locks: locks, Migrations: migrations, Describe: describe})
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", describe, err)
	}
	if err := checkSearchPath(ctx, db, cfg.RuntimeParams["search_path"]); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", describe, err)
	}
	return s, nil
}

// pingOnCheckout pings a connection each time the pool hands it out. By
// default pgx pings only one idle for over a second, so after a server
// restart, a failover or pg_terminate_backend a busy proxy's next turn took a
// connection the server had closed and failed with 503 database_unavailable
// ("terminating connection due to administrator command"). A failed ping
// makes database/sql drop the connection and take another, at worst a new
// one. It costs a round trip per checkout: one per turn, per batch the
// recorder commits, per read.
//
// The ping is bounded (checkoutPingTimeout): pgx's own ping (ShouldPing)
// used the caller's context, and a history read, whose context has no
// deadline, that took a connection as the database stopped answering (a
// partition, a frozen server) waited for ever, where the reads after it
// failed within the connect timeout.
func pingOnCheckout(ctx context.Context, conn *pgx.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, checkoutPingTimeout)
	defer cancel()
	if err := conn.PgConn().Ping(ctx); err != nil {
		return driver.ErrBadConn
	}
	return nil
}

// checkoutPingTimeout bounds pingOnCheckout, as defaultConnectTimeout bounds
// a new connection.
const checkoutPingTimeout = 10 * time.Second

// noDriverPing leaves pinging to pingOnCheckout.
func noDriverPing(context.Context, stdlib.ShouldPingParams) bool { return false }

// checkSearchPath refuses a search_path (a URL parameter) in which no schema
// exists: the tables would have nowhere to go, and the first statement that
// creates one failed with PostgreSQL's "no schema has been selected to
// create in", which does not say which setting is wrong.
func checkSearchPath(ctx context.Context, db *sql.DB, path string) error {
	if path == "" {
		return nil
	}
	var schema sql.NullString // NULL: none of the path's schemas exists
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("read the current schema: %w", err)
	}
	if !schema.Valid {
		return fmt.Errorf("search_path %q names no schema that exists: create it (CREATE SCHEMA …) or leave search_path out of the URL", path)
	}
	return nil
}

// Redact returns the URL without its passwords, for messages: the user
// part's, and the query's password and sslpassword, which pgx reads too.
// It reads the URL as pgx does, not as url.Parse: a password pasted raw,
// with a #, ?, / or space in it, cut the URL there for url.Parse, and
// the message lost the host ("postgres://(unparsable URL)") or, when what
// was left parsed (alice:12 read as a host and its port), showed the
// password.
func Redact(rawURL string) string {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return "postgres://(unparsable URL)"
	}
	var b strings.Builder
	b.WriteString(scheme + "://")
	// The user info runs to an @ that comes before any / — as pgx (and
	// libpq) read it, so a password holding a raw #, ? or space, which
	// url.Parse cuts the authority at, is masked whole and the host pgx
	// connects to is shown — and on to the last @ before the host's end
	// (u:p@ss@h: "p@ss", as url.Parse reads it).
	at := -1
	if i := strings.IndexAny(rest, "@/"); i >= 0 && rest[i] == '@' {
		end := len(rest)
		if k := strings.IndexAny(rest[i:], "/?"); k >= 0 {
			end = i + k
		}
		at = strings.LastIndexByte(rest[:end], '@')
	} else if k := strings.LastIndexByte(rest, '@'); k >= 0 && strings.IndexByte(rest[:k], ':') >= 0 {
		// A raw / before the @ (u:pa/ss@h/db): pgx finds no user info
		// and fails, but the text up to the last @ holds the password.
		at = k
	}
	if at >= 0 {
		user, _, hasPassword := strings.Cut(rest[:at], ":")
		b.WriteString(user)
		if hasPassword {
			b.WriteString(":xxxxx")
		}
		b.WriteByte('@')
		rest = rest[at+1:]
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest = rest[:q+1] + redactQuery(rest[q+1:])
	}
	b.WriteString(rest)
	return b.String()
}

// redactQuery replaces the values of the query's password parameters,
// leaving every other parameter as it was written.
func redactQuery(q string) string {
	params := strings.Split(q, "&")
	for i, p := range params {
		raw, _, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(raw)
		if hasValue && err == nil && (strings.EqualFold(name, "password") || strings.EqualFold(name, "sslpassword")) {
			params[i] = raw + "=xxxxx"
		}
	}
	return strings.Join(params, "&")
}

// Advisory lock keys are pairs: the first names what is locked in which
// schema, the second which one (a session's hash, or one of the proxy's
// locks below), so the project's locks never collide with each other or
// with a session's hash. Advisory locks are the database's, not a schema's:
// a first key made of the class alone had two deployments in two schemas of
// one database (search_path) wait for each other's sessions, migrations and
// writes. The first key is lockSpace of a class and the schema the
// connection works in.
const (
	lockClassSessions = "qwenproxy.sessions"
	lockClassProxy    = "qwenproxy.proxy"
	lockMigrations    = 1
	lockRollups       = 2
)

// lockSpace is the SQL of an advisory lock's first key for the class given
// as parameter $1: a hash of the connection's current schema and the class,
// non-negative, as pg_locks shows it in classid.
const lockSpace = `(hashtext(current_schema() || '/' || $1) & 2147483647)`

// dialect is PostgreSQL's side of the shared SQL.
type dialect struct{}

func (dialect) Name() string { return "postgres" }

func (dialect) Rebind(q string) string { return Rebind(q) }

// Rebind numbers the ? placeholders ($1, $2, …), leaving quoted text alone.
func Rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// LockMigrations takes a session-level advisory lock on conn: a second
// instance starting meanwhile waits, then finds the migrations applied.
//
// Its statements wait at most migrationLockTimeout for a table another
// session holds (a long transaction, an old instance's open read): a
// migration waited as long as that session lasted, the start hanging
// without a word, and every statement of the instances serving on that
// table queued behind its lock request, stalling their calls too.
func (dialect) LockMigrations(ctx context.Context, conn *sql.Conn) (func(), error) {
	// The lock itself is waited for as long as another instance migrates:
	// not bounded by the pool's lock_timeout (Options.LockTimeout).
	if _, err := conn.ExecContext(ctx, `SELECT set_config('lock_timeout', '0', false)`); err != nil {
		return nil, fmt.Errorf("set lock_timeout: %w", err)
	}
	unlock, err := advisoryLock(ctx, conn, lockClassProxy, `$2`, lockMigrations)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `SELECT set_config('lock_timeout', $1, false)`, migrationLockTimeout.String()); err != nil {
		unlock()
		return nil, fmt.Errorf("set lock_timeout: %w", err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(ctx, `RESET lock_timeout`); err != nil {
			discard(conn) // back in the pool it would time other statements out
		}
		unlock()
	}, nil
}

// migrationLockTimeout is how long a migration's statement waits for a table
// another session holds before the start gives up.
const migrationLockTimeout = 10 * time.Second

// MigrationLockTimedOut is true of lock_timeout's error (SQLSTATE 55P03).
func (d dialect) MigrationLockTimedOut(err error) bool { return d.Busy(err) }

// Busy is true of lock_timeout's error, lock_not_available (SQLSTATE
// 55P03): a table another session held locked past DATABASE_BUSY_TIMEOUT.
func (dialect) Busy(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "55P03"
}

// LockRollups takes a transaction-level advisory lock: two instances never
// read-modify-write the same hour, or a body part's use count, at once. It
// lasts until the transaction ends; every writing transaction takes it
// first (see sqlstore.Store.WriteBatch).
// SessionsDeleted does nothing: PostgreSQL's session search index (pg_trgm,
// migration 0037) takes a deleted row's entries out as VACUUM reaches them.
func (dialect) SessionsDeleted(context.Context, *sql.Tx) error { return nil }

func (dialect) LockRollups(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+lockSpace+`, $2)`, lockClassProxy, lockRollups)
	return err
}

// sessionLockSlice is how long one wait for a session's lock lasts: the
// lock pool's lock_timeout, at which the server answers (55P03) and the
// turn asks again. A variable for the tests.
var sessionLockSlice = 10 * time.Second

// sessionLockAnswer is how long past sessionLockSlice the server has to
// answer a wait for a session's lock before the turn gives up on it.
const sessionLockAnswer = 5 * time.Second

// LockSession takes id's session-level advisory lock on conn. Waiting ends
// with ctx: another turn of the session (on another instance) may hold it
// for as long as its answer takes. But the wait is asked for in slices of
// sessionLockSlice (the lock pool's lock_timeout), each of which the server
// ends with its answer, and one it does not answer within
// sessionLockAnswer more fails the turn: a server that stopped answering
// (a partition, a frozen server) during the wait held the turn for as long
// as its client waited.
func (d dialect) LockSession(ctx context.Context, conn *sql.Conn, id string) (func(), error) {
	const class, keyExpr = lockClassSessions, `hashtext($2)`
	for {
		sctx, cancel := context.WithTimeout(ctx, sessionLockSlice+sessionLockAnswer)
		_, err := conn.ExecContext(sctx, `SELECT pg_advisory_lock(`+lockSpace+`, `+keyExpr+`)`, class, id)
		unanswered := sctx.Err() != nil && ctx.Err() == nil
		cancel()
		switch {
		case err == nil:
			return advisoryUnlock(conn, class, keyExpr, id), nil
		case d.Busy(err) && ctx.Err() == nil:
			continue // another turn holds it still: the server answers
		case unanswered:
			err = fmt.Errorf("the database did not answer a wait for the session's lock within %s: %w", sessionLockSlice+sessionLockAnswer, err)
		}
		discard(conn)
		return nil, err
	}
}

// advisoryLock locks (lockSpace of class, key) on conn, key being the SQL
// expression keyExpr of arg. The unlock func releases it; if that fails,
// the connection is thrown away rather than returned to the pool still
// holding the lock (the server drops a session's locks when it closes).
func advisoryLock(ctx context.Context, conn *sql.Conn, class string, keyExpr string, arg any) (func(), error) {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+lockSpace+`, `+keyExpr+`)`, class, arg); err != nil {
		discard(conn)
		return nil, err
	}
	return advisoryUnlock(conn, class, keyExpr, arg), nil
}

// advisoryUnlock releases the lock advisoryLock took; if that fails, the
// connection is thrown away rather than returned to the pool still holding
// it.
func advisoryUnlock(conn *sql.Conn, class string, keyExpr string, arg any) func() {
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var released bool
		err := conn.QueryRowContext(ctx, `SELECT pg_advisory_unlock(`+lockSpace+`, `+keyExpr+`)`, class, arg).Scan(&released)
		if err != nil || !released {
			discard(conn)
		}
	}
}

// discard makes database/sql close conn instead of pooling it.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

// ReclaimSpace leaves the work to autovacuum, which makes the space of
// deleted rows reusable without locking the tables.
func (dialect) ReclaimSpace(context.Context, *sql.DB) error { return nil }

// EraseDeleted does nothing: an UPDATE leaves the old row version in its
// page until a vacuum removes it (VACUUM FULL rewrites the table), which no
// setting of a transaction changes.
func (dialect) EraseDeleted(context.Context, *sql.Tx) error { return nil }

// Refuses is true of PostgreSQL's errors for values the schema cannot
// take: data exceptions (SQLSTATE class 22: a number out of range, bytes
// that are not UTF-8), integrity constraint violations (23) but CHECK
// (23514: the schema has none on the calls, so it is an operator's, and may
// refuse every record alike), and program limits exceeded (54: an index row
// too big).
func (dialect) Refuses(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || len(pgErr.Code) < 2 {
		return false
	}
	switch pgErr.Code[:2] {
	case "22", "54":
		return true
	case "23":
		return pgErr.Code != "23514"
	}
	return false
}

// SessionSearch is lower() LIKE on the first message: PostgreSQL's lower()
// folds every letter (in the database's locale); migration 0037's trigram
// index serves it.
func (dialect) SessionSearch(_ context.Context, _ sqlstore.RowQuerier, search string) (string, []any, error) {
	cond, arg := sqlstore.LowerContains("first_user_message", search)
	return cond, []any{arg}, nil
}

// HoldsString is strpos().
func (dialect) HoldsString(expr string) string { return "strpos(" + expr + ", ?) > 0" }

// ConnectionLost is true of the errors a connection the server closed
// under a statement gives: the server's shutdown or pg_terminate_backend
// (SQLSTATE 57P01, 57P02: crash of another backend), a connection
// exception (class 08), or the connection's end without an answer.
func (dialect) ConnectionLost(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "57P01" || pgErr.Code == "57P02" || strings.HasPrefix(pgErr.Code, "08")
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, driver.ErrBadConn)
}

func (dialect) UndefinedTable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42P01"
}

// SizeCountsRows is false: Size counts the stored bodies alone (and the
// items a call's item_references named, kept beside its request body).
func (dialect) SizeCountsRows() bool { return false }

// SizeIsCheap is false: Size reads every stored body's size.
func (dialect) SizeIsCheap() bool { return false }

// Size is the bytes of the recorded bodies as PostgreSQL stores them
// (compressed skeletons, the parts calls use, and bodies not re-encoded yet),
// the bulk of a history, and of the items Responses calls' item_references
// named (response_referenced_items: kept whole per call, compressed but not
// shared as body parts are, so a client referencing a large item every turn
// stores it every turn). The tables' files would not do: PostgreSQL keeps the space of
// deleted rows for reuse rather than shrinking them, so they do not go down
// when retention deletes.
func (dialect) Size(ctx context.Context, db *sql.DB) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT
		(SELECT COALESCE(SUM(pg_column_size(p.data)), 0) FROM body_parts p JOIN body_part_uses u ON u.part_id = p.id
			WHERE u.uses > 0) +
		(SELECT COALESCE(SUM(COALESCE(pg_column_size(openai_request_z), 0) + COALESCE(pg_column_size(qwen_request_z), 0) +
			COALESCE(pg_column_size(openai_request), 0) + COALESCE(pg_column_size(qwen_request), 0)), 0) FROM request_bodies) +
		(SELECT COALESCE(SUM(COALESCE(pg_column_size(openai_response_z), 0) + COALESCE(pg_column_size(qwen_response_z), 0) +
			COALESCE(pg_column_size(openai_response), 0) + COALESCE(pg_column_size(qwen_response), 0)), 0) FROM response_bodies) +
		(SELECT COALESCE(SUM(pg_column_size(items)), 0) FROM response_referenced_items)`).Scan(&n)
	return n, err
}

// BatchContext is ctx: a batch waits on the network, which its deadline
// bounds.
func (dialect) BatchContext(ctx context.Context) context.Context { return ctx }

// PartGrace is an hour: another process's writer may have found a body part
// and be about to reference it; writers refresh a part's last use every
// ten minutes (partTouch), far inside it.
func (dialect) PartGrace() time.Duration { return time.Hour }

// ReusesRowIDs is false: identity columns never give an id twice.
func (dialect) ReusesRowIDs() bool { return false }

// EraseFreed erases nothing: the old versions of rows an UPDATE or DELETE
// left stay in the tables' pages until a vacuum removes them (VACUUM FULL
// rewrites the tables), which an operator runs.
func (dialect) EraseFreed(context.Context, *sql.DB) (bool, error) { return false, nil }

// TruncateJournal does nothing: the WAL is the PostgreSQL server's.
func (dialect) TruncateJournal(context.Context, *sql.DB) error { return nil }
