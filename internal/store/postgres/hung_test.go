package postgres_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// stallProxy forwards TCP to a PostgreSQL server until stall, after which
// it passes nothing either way while keeping every connection open: a
// network partition, or a server frozen, as a client sees it.
type stallProxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	stalled chan struct{}
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target, stalled: make(chan struct{})}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(t, c)
		}
	}()
	return p
}

func (p *stallProxy) serve(t *testing.T, c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	t.Cleanup(func() { c.Close(); up.Close() })
	go p.copy(up, c)
	p.copy(c, up)
}

// copy forwards until stalled; then it holds what it read.
func (p *stallProxy) copy(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-p.stalled:
			return // connections stay open, silent
		default:
		}
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *stallProxy) stall() { close(p.stalled) }

// stalledSchema is a fresh schema's URL reached through a stall proxy, and
// the proxy.
func stalledSchema(t *testing.T) (string, *stallProxy) {
	t.Helper()
	u, err := url.Parse(storetest.PostgresSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newStallProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	return u.String(), proxy
}

// openMigrated opens the store at dbURL and migrates it, closed when the
// test ends.
func openMigrated(ctx context.Context, t *testing.T, dbURL string, opt postgres.Options) *sqlstore.Store {
	t.Helper()
	st, err := postgres.Open(ctx, dbURL, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// A database that stops answering (a network partition, a frozen server)
// held every turn for as long as its client waited — minutes, the client's
// own timeout, with no answer and nothing logged — because taking a
// session's connection and reading and saving the session had no bound. A
// turn now fails with database_unavailable within a bounded time, as when
// the database refuses connections.
func TestATurnOnADatabaseThatStopsAnsweringEnds(t *testing.T) {
	guard, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // the test's own bound, far above the turn's
	defer cancel()
	dbURL, proxy := stalledSchema(t)
	st := openMigrated(guard, t, dbURL, postgres.Options{MaxConns: 2})
	idle, err := st.Locker().LockSession(guard, "s0")
	if err != nil {
		t.Fatal(err)
	}
	held, err := st.Locker().LockSession(guard, "s1")
	if err != nil {
		t.Fatal(err)
	}
	idle.Unlock() // its connection waits in the pool for the next turn
	// The read pool's connection too: a turn reads sessions there by key
	// and by id, and those reads waited without bound on its ping.
	if _, err := st.SessionByKey(guard, "k", "", time.Now()); !errors.Is(err, qp.ErrNotFound) {
		t.Fatal(err)
	}
	proxy.stall()
	for name, read := range map[string]func() error{
		"by key": func() error { _, err := st.SessionByKey(guard, "k", "", time.Now()); return err },
		"by id":  func() error { _, err := st.Session(guard, "s0"); return err },
	} {
		if err := read(); err == nil || errors.Is(err, qp.ErrNotFound) || guard.Err() != nil {
			t.Fatalf("reading a session %s on a database that stopped answering: %v (the test's bound passed: %v)", name, err, guard.Err())
		}
	}
	if _, err := held.Session(guard); err == nil || guard.Err() != nil {
		t.Fatalf("reading the session on a database that stopped answering: %v (the test's bound passed: %v)", err, guard.Err())
	}
	if _, err := st.Locker().LockSession(guard, "s2"); err == nil || guard.Err() != nil {
		t.Fatalf("taking a session's lock on a database that stopped answering: %v (the test's bound passed: %v)", err, guard.Err())
	}
}

// The bound is one wait, not two: a turn whose pooled connection did not
// answer its ping within the statement bound took that for a connection the
// server had closed and took the lock once more, on a new connection, which
// waited the connect timeout too — 22 s before the client heard of it,
// where the README promises about 10.
func TestASessionLockOnADatabaseThatStopsAnsweringWaitsOnce(t *testing.T) {
	guard, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dbURL, proxy := stalledSchema(t)
	st := openMigrated(guard, t, dbURL, postgres.Options{MaxConns: 2})
	idle, err := st.Locker().LockSession(guard, "s0")
	if err != nil {
		t.Fatal(err)
	}
	idle.Unlock() // its connection waits in the pool for the next turn
	proxy.stall()
	began := time.Now()
	if _, err := st.Locker().LockSession(guard, "s1"); err == nil || guard.Err() != nil {
		t.Fatalf("taking a session's lock on a database that stopped answering: %v (the test's bound passed: %v)", err, guard.Err())
	}
	// One bound (10 s) and a margin for a busy machine; two were 20 s.
	if took := time.Since(began); took > 16*time.Second {
		t.Fatalf("the lock failed after %s: it waited for a second connection after the first did not answer", took.Round(time.Millisecond))
	}
}

// A history read (the history API's, the dashboard's) that took a pooled
// connection just as the database stopped answering waited for ever: the
// pool pings a connection as it hands it out, with the read's own context,
// which has no deadline. The ping is bounded now, so the read fails with the
// database's error, as the reads after it did (they open new connections,
// which the connect timeout bounds).
func TestAHistoryReadOnADatabaseThatStopsAnsweringEnds(t *testing.T) {
	guard, cancel := context.WithTimeout(context.Background(), 50*time.Second) // past the pings' and the connect timeout's bounds
	defer cancel()
	dbURL, proxy := stalledSchema(t)
	st := openMigrated(guard, t, dbURL, postgres.Options{})
	if _, err := st.ListRequests(guard, qp.CallFilter{}, qp.ListOptions{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	proxy.stall()
	began := time.Now()
	if _, err := st.ListRequests(guard, qp.CallFilter{}, qp.ListOptions{Limit: 1}); err == nil || guard.Err() != nil {
		t.Fatalf("a history read on a database that stopped answering: %v after %s (the test's bound passed: %v)",
			err, time.Since(began).Round(time.Millisecond), guard.Err())
	}
}
