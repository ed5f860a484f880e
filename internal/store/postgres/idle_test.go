package postgres_test

import (
	"context"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/storetest"
)

// A database that stops answering after the connection was made (a frozen
// server: the kernel still acknowledges what is sent) held a reading command
// for ever, without a word. With ReadIdleTimeout the query fails, naming
// the silence, instead.
func TestAFrozenDatabaseFailsAReadAfterTheIdleBound(t *testing.T) {
	raw := storetest.PostgresSchema(t)
	relay := startRelay(t, raw)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := postgres.Open(ctx, relay.url, postgres.Options{ReadIdleTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Check(ctx); err != nil {
		t.Fatal(err)
	}
	relay.freeze()
	err = st.Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "the database sent nothing for 500ms") {
		t.Fatalf("a read from a frozen database: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the read waited for the test's own deadline")
	}
}

// relay forwards TCP connections on 127.0.0.1 to a database, until frozen:
// then it forwards nothing more either way, but keeps every connection open,
// as a stopped server's kernel would.
type relay struct {
	url    string
	mu     sync.Mutex
	frozen chan struct{}
}

func startRelay(t *testing.T, raw string) *relay {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{frozen: make(chan struct{})}
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			r.mu.Lock()
			conns = append(conns, in, out)
			r.mu.Unlock()
			go r.pipe(out, in)
			go r.pipe(in, out)
		}
	}()
	u.Host = ln.Addr().String()
	r.url = u.String()
	return r
}

// pipe copies src to dst a read at a time, holding each read once frozen.
func (r *relay) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			select {
			case <-r.frozen:
				return // held: never forwarded, the connection left open
			default:
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (r *relay) freeze() { close(r.frozen) }
