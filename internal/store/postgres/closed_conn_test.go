package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store"
	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// A server restart, a failover or pg_terminate_backend closes every
// connection a pool holds idle; the pool noticed only those idle for over a
// second, so a busy proxy's next turn took a connection the server had
// closed and failed with 503 database_unavailable ("terminating connection
// due to administrator command"), and so did a read. A connection the
// server closed is never handed out: the lock and the read both succeed.
func TestConnectionsTheServerClosedAreNotHandedOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dbURL, name := withAppName(t, storetest.PostgresSchema(t), "closed_conn_") // this test's connections alone
	st := storetest.OpenWith(t, dbURL, store.Options{Postgres: postgres.Options{MaxConns: 1}})
	use := func() error {
		held, err := st.Locker().LockSession(ctx, "s1")
		if err != nil {
			return err
		}
		held.Unlock()
		if _, err := st.Request(ctx, "r1"); !errors.Is(err, qp.ErrNotFound) {
			return err
		}
		return nil
	}
	for range 2 { // connections in use, as under load
		if err := use(); err != nil {
			t.Fatal(err)
		}
	}
	terminate(ctx, t, name)
	if err := use(); err != nil {
		t.Fatalf("after the server closed the pool's connections: %v", err)
	}
}

// terminate closes, from the server's side, every connection named name,
// and returns once the server has ended them (their pool may open new ones
// under the same name meanwhile).
func terminate(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	admin, err := sql.Open("pgx", os.Getenv(storetest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var pids []int32
	rows, err := admin.QueryContext(ctx, `WITH named AS MATERIALIZED (SELECT pid FROM pg_stat_activity WHERE application_name = $1)
		SELECT pid FROM named WHERE pg_terminate_backend(pid)`, name)
	if err != nil {
		t.Fatalf("terminate: %v", err)
	}
	for rows.Next() {
		var pid int32
		if err := rows.Scan(&pid); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	rows.Close()
	if len(pids) == 0 {
		t.Fatalf("no connection named %s to terminate", name)
	}
	for {
		var left int
		if err := admin.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ANY($1)`, pids).Scan(&left); err != nil {
			t.Fatalf("count connections: %v", err)
		}
		if left == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the server still has %d of the connections named %s", left, name)
		case <-time.After(10 * time.Millisecond): // polling the server's own view, bounded by ctx
		}
	}
}

// A turn waiting for its session's lock when the server closed that
// connection (a restart while turns queue on one conversation) held no lock:
// it takes the lock on a new connection once the session is free, instead of
// failing the call with 503 database_unavailable.
func TestALockWaitingWhenTheServerClosedItsConnectionIsTakenAgain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	schemaURL := storetest.PostgresSchema(t)
	holder := storetest.Open(t, schemaURL)
	waiterURL, name := withAppName(t, schemaURL, "waiting_lock_")
	waiter, err := postgres.Open(ctx, waiterURL, postgres.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Close()
	held, err := holder.Locker().LockSession(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		lock, err := waiter.Locker().LockSession(ctx, "s1")
		if err == nil {
			lock.Unlock()
		}
		got <- err
	}()
	admin, err := sql.Open("pgx", os.Getenv(storetest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for { // until the waiter's backend waits on the advisory lock
		var waiting int
		if err := admin.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event = 'advisory'`, name).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the waiter never waited on the lock")
		case <-time.After(10 * time.Millisecond): // polling the server's own view, bounded by ctx
		}
	}
	terminate(ctx, t, name)
	held.Unlock()
	if err := <-got; err != nil {
		t.Fatalf("a lock whose connection the server closed while it waited: %v", err)
	}
}

// A turn's lock connection closed by the server while the turn ran (a
// restart, a failover, pg_terminate_backend) took the lock with it; the
// turn's save failed on it, and its state went to the recorder, written up to
// RECORDER_LINGER later — after the lock was let go. The conversation's next
// turn read the state before it: it hung under the answer before, and the
// model forgot a turn its client had been answered (measured: 1 of 8
// conversations of 15 turns with connections killed every 0.4 s, nothing
// logged). The save, and the read, now take the lock again on a new
// connection and are done there.
func TestATurnWhoseLockConnectionWasClosedSavesAndReadsOnANewOne(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, name, state := sessionOfFiveTurns(ctx, t, "lost_lock_")
	now := state.LastAccessed

	// The turn answered; the server closed its lock's connection meanwhile.
	held, err := st.Locker().LockSession(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	terminate(ctx, t, name)
	state.ParentID, state.MessageCount, state.LastAccessed = "answer-6", 6, now.Add(time.Second)
	if err := held.Save(ctx, state); err != nil {
		t.Fatalf("save after the server closed the lock's connection: %v", err)
	}
	held.Unlock()

	// The next turn reads what the last one saved, also when its own lock's
	// connection is closed before it reads.
	next, err := st.Locker().LockSession(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	defer next.Unlock()
	terminate(ctx, t, name)
	got, err := next.Session(ctx)
	if err != nil {
		t.Fatalf("read after the server closed the lock's connection: %v", err)
	}
	if got.ParentID != "answer-6" || got.MessageCount != 6 {
		t.Fatalf("the next turn read parent %q, %d messages: want answer-6, 6", got.ParentID, got.MessageCount)
	}
}

// A turn whose lock's connection the server closed while it ran (a
// failover, pg_terminate_backend) no longer held the lock: another turn of
// the session, on another instance, took it, read the same state and saved
// its answer. The first turn's save, taking the lock again, overwrote it,
// and the conversation forgot the other turn, nothing logged (a walk: t2
// sent to a second instance 0.3 s after the connections were terminated,
// then t3 answered from t0 and t1). Its save now finds the session saved
// since it read it, writes nothing and says so (qp.ErrSessionMovedOn); a
// save after a lost lock with no other turn between still writes.
func TestALostLockDoesNotLetATurnOverwriteAnotherTurnsSave(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, name, state := sessionOfFiveTurns(ctx, t, "moved_on_")
	now := state.LastAccessed

	first, err := st.Locker().LockSession(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Session(ctx); err != nil {
		t.Fatal(err)
	}
	terminate(ctx, t, name) // the first turn's lock goes with its connection
	second, err := st.Locker().LockSession(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if read, err := second.Session(ctx); err != nil || read.ParentID != "answer-5" {
		t.Fatalf("the second turn read %+v, %v", read, err)
	}
	theirs := state
	theirs.ParentID, theirs.MessageCount, theirs.LastAccessed = "answer-6-second", 6, now.Add(time.Second)
	if err := second.Save(ctx, theirs); err != nil {
		t.Fatal(err)
	}
	second.Unlock()

	mine := state
	mine.ParentID, mine.MessageCount, mine.LastAccessed = "answer-6-first", 6, now.Add(2*time.Second)
	if err := first.Save(ctx, mine); !errors.Is(err, qp.ErrSessionMovedOn) {
		t.Fatalf("the first turn's save over the second's: %v, want qp.ErrSessionMovedOn", err)
	}
	first.Unlock()
	got, err := st.Session(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ParentID != "answer-6-second" {
		t.Fatalf("the session goes on from %q, want the second turn's answer-6-second", got.ParentID)
	}

	// Lost with no turn between: the save is written on the new connection.
	third, err := st.Locker().LockSession(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := third.Session(ctx); err != nil {
		t.Fatal(err)
	}
	terminate(ctx, t, name)
	next := theirs
	next.ParentID, next.MessageCount, next.LastAccessed = "answer-7", 7, now.Add(3*time.Second)
	if err := third.Save(ctx, next); err != nil {
		t.Fatalf("save after a lost lock no other turn took: %v", err)
	}
	third.Unlock()
	if got, err := st.Session(ctx, "s1"); err != nil || got.ParentID != "answer-7" {
		t.Fatalf("after the third turn: %+v, %v", got, err)
	}
}

// sessionOfFiveTurns opens a store on a fresh schema whose connections are
// named by prefix (name, for terminate) and saves session s1 of five
// answered turns, its state returned, stamped now to the millisecond.
func sessionOfFiveTurns(ctx context.Context, t *testing.T, prefix string) (*sqlstore.Store, string, qp.Session) {
	t.Helper()
	dbURL, name := withAppName(t, storetest.PostgresSchema(t), prefix)
	st := storetest.OpenWith(t, dbURL, store.Options{Postgres: postgres.Options{MaxConns: 2}})
	now := time.UnixMilli(time.Now().UnixMilli())
	state := qp.Session{ID: "s1", ChatID: "chat-1", ParentID: "answer-5", Model: "qwen3-max", MessageCount: 5,
		CreatedAt: now, LastAccessed: now, ExpiresAt: now.Add(time.Hour)}
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{state}}); err != nil {
		t.Fatal(err)
	}
	return st, name, state
}
