package postgres_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/storetest"
)

// A turn waiting for its session's lock (another turn, on another instance,
// holds it) when the database stopped answering waited for as long as its
// client did: the wait had no bound but the turn's context, since another
// turn may rightly hold the lock for as long as its answer takes. The wait
// is asked for in slices the server ends with its answer (lock_timeout), and
// one it does not answer fails the turn within the slice and a margin.
func TestASessionLockWaitUnansweredEnds(t *testing.T) {
	defer postgres.SetSessionLockSlice(time.Second)()
	guard, cancel := context.WithTimeout(context.Background(), time.Minute) // the test's own bound, far above the wait's
	defer cancel()
	dbURL, proxy := stalledSchema(t)
	direct, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	direct.Host = proxy.target
	holder := openMigrated(guard, t, direct.String(), postgres.Options{})
	waiter := openMigrated(guard, t, dbURL, postgres.Options{})
	held, err := holder.Locker().LockSession(guard, "s1")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()
	proxy.stallOn("pg_advisory_lock(") // the wait is under way when the database stops answering
	if l, err := waiter.Locker().LockSession(guard, "s1"); err == nil || guard.Err() != nil {
		if l != nil {
			l.Unlock()
		}
		t.Fatalf("a wait for a session's lock on a database that stopped answering: %v (the test's bound passed: %v)", err, guard.Err())
	}
}

// The wait goes on, slice after slice, for as long as another turn holds
// the lock, and takes it once that turn lets go.
func TestASessionLockWaitOutlastsItsSlices(t *testing.T) {
	defer postgres.SetSessionLockSlice(200 * time.Millisecond)()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dbURL := storetest.PostgresSchema(t)
	holder, waiter := openMigrated(ctx, t, dbURL, postgres.Options{}), openMigrated(ctx, t, dbURL, postgres.Options{})
	held, err := holder.Locker().LockSession(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	let := time.AfterFunc(time.Second, held.Unlock) // five slices on
	defer let.Stop()
	l, err := waiter.Locker().LockSession(ctx, "s1")
	if err != nil {
		t.Fatalf("a wait for a session's lock that another turn held past a slice: %v", err)
	}
	l.Unlock()
}
