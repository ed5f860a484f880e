package e2e

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"

	"qwenproxy/internal/config"
)

// relay forwards loopback TCP connections to target until cut, which closes
// every connection and the listener: a database that stops answering, as a
// network or a server going away looks to the proxy.
type relay struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	hung   bool // accept, never answer
}

func startRelay(t *testing.T, target string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, target: target}
	go r.serve()
	t.Cleanup(r.cut)
	return r
}

func (r *relay) addr() string { return r.ln.Addr().String() }

func (r *relay) serve() {
	for {
		in, err := r.ln.Accept()
		if err != nil {
			return // cut
		}
		r.mu.Lock()
		hung := r.hung
		r.mu.Unlock()
		if hung { // accepted, and never a byte back
			r.mu.Lock()
			r.conns = append(r.conns, in)
			r.mu.Unlock()
			continue
		}
		out, err := net.Dial("tcp", r.target)
		if err != nil {
			in.Close()
			continue
		}
		r.mu.Lock()
		r.conns = append(r.conns, in, out)
		r.mu.Unlock()
		go func() { io.Copy(out, in); out.Close() }()
		go func() { io.Copy(in, out); in.Close() }()
	}
}

// hang closes every relayed connection and from then on accepts
// connections without ever answering: a database that hangs.
func (r *relay) hang() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hung = true
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
}

// cut closes the listener and every relayed connection.
func (r *relay) cut() {
	r.ln.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
}

// startBehindRelay runs the proxy on a new PostgreSQL database reached
// through a relay the test can cut or hang; query adds parameters to the
// database URL.
func startBehindRelay(t *testing.T, query map[string]string) (*env, *relay) {
	t.Helper()
	var db *relay
	e := startOn(t, "postgres", func(c *config.Config) {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		db = startRelay(t, u.Host)
		u.Host = db.addr()
		q := u.Query()
		for k, v := range query {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		c.DatabaseURL = u.String()
	})
	return e, db
}
