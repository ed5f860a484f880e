package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/historyapi"
	"qwenproxy/internal/logtest"
	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// stallProxy forwards TCP to a PostgreSQL server until stall, after which
// it passes nothing either way while keeping every connection open: a
// network partition, or a server frozen, as a client sees it. thaw lets
// bytes pass again.
type stallProxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	stalled bool
	// on, when set, stalls the proxy as a client sends it: the bytes that
	// hold it go to the server, whose answer is never passed on (see
	// stallOn).
	on []byte
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target}
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
	go p.copy(up, c, true)
	p.copy(c, up, false)
}

// copy forwards until stalled; then it holds what it read. fromClient
// says src is the client, whose bytes may stall the proxy (stallOn).
func (p *stallProxy) copy(dst io.Writer, src io.Reader, fromClient bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		p.mu.Lock()
		stalled := p.stalled
		if !stalled && fromClient && p.on != nil && bytes.Contains(buf[:n], p.on) {
			// Stalled before the bytes go: the server's answer to them,
			// however fast, finds the proxy silent.
			p.stalled, p.on = true, nil
		}
		p.mu.Unlock()
		if stalled {
			return // connections stay open, silent
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

func (p *stallProxy) stall() { p.mu.Lock(); p.stalled = true; p.mu.Unlock() }

// stallOn stalls the proxy as a client sends bytes holding marker (a
// query's text): they reach the server, which answers into the silence,
// so the query is under way when the database stops answering.
func (p *stallProxy) stallOn(marker string) { p.mu.Lock(); p.on = []byte(marker); p.mu.Unlock() }

// thaw passes bytes again, on new connections and on those no byte tried
// to cross while stalled: the partition healed, the server running again. A
// connection whose bytes were held stays silent (they are lost).
func (p *stallProxy) thaw() { p.mu.Lock(); p.stalled = false; p.mu.Unlock() }

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
	if _, err := st.SessionByKey(guard, "k", "", "", time.Now()); !errors.Is(err, qp.ErrNotFound) {
		t.Fatal(err)
	}
	proxy.stall()
	for name, read := range map[string]func() error{
		"by key": func() error { _, err := st.SessionByKey(guard, "k", "", "", time.Now()); return err },
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

// synced is a recorder with nothing queued.
type synced struct{}

func (synced) Sync(context.Context) error       { return nil }
func (synced) InDatabase(context.Context) error { return nil }

// A history read under way when the database stopped answering (its query
// sent, the answer never coming: a partition, a frozen server) waited for
// as long as its client did, holding a pool connection: the checkout's
// ping, bounded, had been answered. The history API's bound (ReadTimeout,
// HISTORY_READ_TIMEOUT) now ends it with 503 database_error, the cause in
// the log; pgx closes the connection it was on, and once the server
// answers again the pool serves the next read.
func TestAHistoryReadUnderWayWhenTheDatabaseStopsAnsweringEnds(t *testing.T) {
	guard, cancel := context.WithTimeout(context.Background(), time.Minute) // the test's own bound, far past the read's
	defer cancel()
	dbURL, proxy := stalledSchema(t)
	st := openMigrated(guard, t, dbURL, postgres.Options{})
	var logs logtest.Buffer
	api := historyapi.New(historyapi.Deps{History: st, Recorder: synced{}, Log: slog.New(slog.NewJSONHandler(&logs, nil)),
		ReadTimeout: 2 * time.Second})
	list := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		api.ListRequests(w, httptest.NewRequestWithContext(guard, http.MethodGet, "/v1/requests", nil))
		return w
	}
	proxy.stallOn("FROM requests") // the list's own query, past the checkout's ping
	w := list()
	if guard.Err() != nil {
		t.Fatalf("a history read under way when the database stopped answering waited for the test's bound: %d %s", w.Code, w.Body)
	}
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `"code":"database_error"`) {
		t.Fatalf("a history read under way when the database stopped answering: %d %s, want 503 database_error", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), `"msg":"history query failed"`) || !strings.Contains(logs.String(), "HISTORY_READ_TIMEOUT") {
		t.Fatalf("the read's bound is not in the log:\n%s", logs.String())
	}
	if n := st.DB().Stats().InUse; n != 0 {
		t.Fatalf("%d connections still in use after the read ended", n)
	}
	proxy.thaw()
	if w := list(); w.Code != http.StatusOK || guard.Err() != nil {
		t.Fatalf("a history read once the database answers again: %d %s (the test's bound passed: %v)", w.Code, w.Body, guard.Err())
	}
	if !strings.Contains(logs.String(), `"msg":"the history database answers again"`) {
		t.Fatalf("the database's return is not logged:\n%s", logs.String())
	}
}
