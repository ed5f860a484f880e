package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	qp "qwenproxy"
	"qwenproxy/internal/store"
	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/storetest"
)

// A table locked by someone else (an operator's LOCK TABLE, VACUUM FULL, a
// hand-run ALTER) held the recorder's batch until the writer gave up (30
// s), and with RECORDER_SYNC every call's answer with it; SQLite's writes
// give up after DATABASE_BUSY_TIMEOUT and their records go to the spool.
// The write pool's lock_timeout is that same bound: the batch fails with
// PostgreSQL's lock_not_available while the lock is still held.
func TestAWriteGivesUpOnALockedTableAfterTheBusyTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	raw := storetest.PostgresSchema(t)
	st := storetest.OpenWith(t, raw, store.Options{Postgres: postgres.Options{MaxConns: 1, LockTimeout: 200 * time.Millisecond}})
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", os.Getenv(storetest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	tx, err := admin.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	schema := u.Query().Get("search_path")
	if _, err := tx.ExecContext(ctx, `LOCK TABLE "`+schema+`".requests IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	err = st.WriteBatch(ctx, qp.Batch{Exchanges: []qp.Exchange{{
		Request:  qp.Request{RequestID: "locked-1", Timestamp: now, Method: "POST", Path: "/v1/chat/completions"},
		Response: qp.Response{ResponseID: "locked-1r", Timestamp: now, Status: qp.StatusSuccess},
	}}})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "55P03" {
		t.Fatalf("a write under another's lock: %v; want PostgreSQL's lock_not_available (55P03) while the lock is held", err)
	}
	if !errors.Is(err, qp.ErrDatabaseBusy) { // the recorder spools it at once, as it has waited already
		t.Fatalf("a write under another's lock: %v; want it marked qp.ErrDatabaseBusy", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteBatch(ctx, qp.Batch{Exchanges: []qp.Exchange{{
		Request:  qp.Request{RequestID: "locked-2", Timestamp: now, Method: "POST", Path: "/v1/chat/completions"},
		Response: qp.Response{ResponseID: "locked-2r", Timestamp: now, Status: qp.StatusSuccess},
	}}}); err != nil {
		t.Fatalf("the same write once the lock went: %v", err)
	}
}

// A second instance starting while the first migrates waits for the
// migrations' lock and then finds them applied, however long they take:
// the pool's lock_timeout (DATABASE_BUSY_TIMEOUT) must not end that wait.
func TestAStartWaitsForAnotherInstancesMigrationsPastTheLockTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	raw := storetest.PostgresSchema(t)
	admin, err := sql.Open("pgx", raw)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	holder, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	// The migrations' advisory lock (lockClassProxy, lockMigrations) in
	// this schema, as a migrating instance holds it.
	var space int64
	if err := holder.QueryRowContext(ctx, `SELECT `+migrationsSpace).Scan(&space); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_lock($1, 1)`, space); err != nil {
		t.Fatal(err)
	}
	st, err := postgres.Open(ctx, raw, postgres.Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	done := make(chan error, 1)
	go func() { _, err := st.Migrate(ctx); done <- err }()
	for waiting := false; !waiting; {
		select {
		case err := <-done:
			t.Fatalf("the start gave up waiting for the other instance's migrations: %v", err)
		case <-ctx.Done():
			t.Fatal("the start never waited for the migrations' lock")
		case <-time.After(20 * time.Millisecond): // polling the server's view, bounded by ctx
		}
		if err := admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = $1 AND objid = 1)`, space).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	// Waiting past its lock_timeout, as a long migration would keep it.
	var waited bool
	if err := admin.QueryRowContext(ctx, `SELECT pg_sleep(0.3) IS NOT NULL`).Scan(&waited); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("the start gave up waiting for the other instance's migrations: %v", err)
	default:
	}
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_unlock($1, 1)`, space); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("migrate once the other instance was done: %v", err)
	}
}

// migrationsSpace is the first key of the migrations' advisory lock in the
// connection's schema (the store's lockSpace of "qwenproxy.proxy").
const migrationsSpace = `(hashtext(current_schema() || '/qwenproxy.proxy') & 2147483647)`

// Advisory locks are the database's: two deployments in two schemas of one
// database (search_path) waited for each other's sessions (and migrations,
// and writes): a turn of session "s1" in one held every "s1" in the other.
// A session's lock holds in its schema only.
func TestASessionLockHoldsInItsSchemaOnly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	open := func(dbURL string) qp.SessionLocker { return openMigrated(ctx, t, dbURL, postgres.Options{}).Locker() }
	otherURL := storetest.PostgresSchema(t)
	other, mine, twin := open(otherURL), open(storetest.PostgresSchema(t)), open(otherURL)
	held, err := other.LockSession(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()
	// Bounded well under ctx: before, this waited until it ended.
	lockCtx, cancelLock := context.WithTimeout(ctx, 10*time.Second)
	defer cancelLock()
	l, err := mine.LockSession(lockCtx, "s1")
	if err != nil {
		t.Fatalf("a session of one schema waited for the same session of another: %v", err)
	}
	l.Unlock()
	// In its own schema, another instance still waits for it.
	waitCtx, cancelWait := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelWait()
	if l, err := twin.LockSession(waitCtx, "s1"); err == nil {
		l.Unlock()
		t.Fatal("a second instance on the same schema took a session lock held by the first")
	}
}
