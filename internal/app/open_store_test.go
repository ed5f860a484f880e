package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/logtest"
	"qwenproxy/internal/store/storetest"
)

// A PostgreSQL server started beside the proxy (a compose file, a host's
// boot order) refuses connections for the seconds it takes to start: serve
// exited at once ("connection refused"), so the two could not be started
// together. It now waits for it, saying so, and starts once it answers.
func TestServeWaitsForAPostgresServerNotUpYet(t *testing.T) {
	dbURL := storetest.PostgresSchema(t)
	port := freePort(t)
	waiting := newLogWatch("waiting for the database")
	cfg := postgresConfig(t, atPort(t, dbURL, port), time.Minute)

	started := make(chan error, 1)
	go func() {
		a, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(waiting, nil)))
		if err == nil {
			err = a.Shutdown(context.Background())
		}
		started <- err
	}()
	select {
	case <-waiting.seen:
	case err := <-started:
		t.Fatalf("serve did not wait for the database: %v\n%s", err, waiting)
	}
	forward(t, port, hostOf(t, dbURL)) // the server is up
	if err := <-started; err != nil {
		t.Fatalf("serve did not start once the database answered: %v\n%s", err, waiting)
	}
	if log := waiting.String(); !strings.Contains(log, "connection refused") || !strings.Contains(log, "database ready") {
		t.Errorf("the log does not say why it waited, or that it then started:\n%s", log)
	}
}

// What waiting cannot change is not waited for: a database that does not
// exist is the same error as before, at once, with no "waiting" line.
func TestServeDoesNotWaitForADatabaseThatDoesNotExist(t *testing.T) {
	u, err := url.Parse(storetest.PostgresSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/qwenproxy_no_such_database"
	var logs logtest.Buffer
	_, err = Start(context.Background(), postgresConfig(t, u.String(), time.Hour), slog.New(slog.NewTextHandler(&logs, nil)))
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Start: %v, want PostgreSQL's 'does not exist'", err)
	}
	if strings.Contains(logs.String(), "waiting for the database") {
		t.Errorf("waited for a database that does not exist:\n%s", logs.String())
	}
}

// The wait is bounded by DATABASE_START_TIMEOUT, and the error then says
// so; a stop signal (the context) ends it sooner.
func TestServeStopsWaitingForTheDatabase(t *testing.T) {
	dbURL := storetest.PostgresSchema(t)
	t.Run("timeout", func(t *testing.T) {
		_, err := Start(context.Background(), postgresConfig(t, atPort(t, dbURL, freePort(t)), 300*time.Millisecond), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "DATABASE_START_TIMEOUT") {
			t.Fatalf("Start: %v, want the refusal and DATABASE_START_TIMEOUT", err)
		}
	})
	t.Run("stopped", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		waiting := newLogWatch("waiting for the database")
		started := make(chan error, 1)
		go func() {
			_, err := Start(ctx, postgresConfig(t, atPort(t, dbURL, freePort(t)), time.Hour), slog.New(slog.NewTextHandler(waiting, nil)))
			started <- err
		}()
		select {
		case <-waiting.seen:
		case err := <-started:
			t.Fatalf("serve did not wait for the database: %v", err)
		}
		cancel()
		if err := <-started; err == nil || !strings.Contains(err.Error(), "stopped while waiting") {
			t.Fatalf("Start: %v, want it stopped while waiting", err)
		}
	})
	t.Run("no wait", func(t *testing.T) {
		var logs logtest.Buffer
		_, err := Start(context.Background(), postgresConfig(t, atPort(t, dbURL, freePort(t)), 0), slog.New(slog.NewTextHandler(&logs, nil)))
		if err == nil || strings.Contains(logs.String(), "waiting for the database") {
			t.Fatalf("DATABASE_START_TIMEOUT=0: Start %v, log:\n%s", err, logs.String())
		}
	})
}

// postgresConfig is serve's configuration on the simulator with the
// database at dbURL and DATABASE_START_TIMEOUT wait.
func postgresConfig(t *testing.T, dbURL string, wait time.Duration) *config.Config {
	t.Helper()
	dir := t.TempDir()
	vars := map[string]string{"PORT": "0", "DATABASE_PATH": dir + "/q.db", "DATABASE_URL": dbURL}
	cfg, err := config.Load(nil, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MockUpstream, cfg.DatabaseStartTimeout = true, wait
	return cfg
}

// freePort is a loopback port nothing listens on (one just let go).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// atPort is dbURL with its server at 127.0.0.1:port.
func atPort(t *testing.T, dbURL, port string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = net.JoinHostPort("127.0.0.1", port)
	return u.String()
}

func hostOf(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "5432")
	}
	return u.Host
}

// forward listens on 127.0.0.1:port and joins every connection to target,
// until the test ends: the database server, now up at the proxy's address.
func forward(t *testing.T, port, target string) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		conns.Wait()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				defer c.Close()
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				go func() { io.Copy(s, c); s.Close() }()
				io.Copy(c, s)
			}()
		}
	}()
}

// logWatch is a log destination that closes seen at the first line holding
// want, and keeps every line.
type logWatch struct {
	logtest.Buffer
	want string
	once sync.Once
	seen chan struct{}
}

func newLogWatch(want string) *logWatch { return &logWatch{want: want, seen: make(chan struct{})} }

func (w *logWatch) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return w.Buffer.Write(p)
}
