package e2e

import (
	"bytes"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"

	"qwenproxy/internal/config"
)

// relay forwards loopback TCP connections to target until cut, which closes
// every connection and the listener: a database that stops answering, as a
// network or a server going away looks to the proxy. (The store's own tests
// have the like in internal/store/postgres/hung_test.go.)
type relay struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	hung   bool   // accept, never answer
	marker []byte // freezeOn's
	frozen bool   // nothing passes, every connection kept open
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
		go r.pipe(out, in, true)
		go r.pipe(in, out, false)
	}
}

// pipe copies src to dst, and closes dst when src ends, until the relay
// freezes: then it stops, the connections left open and silent.
func (r *relay) pipe(dst net.Conn, src io.Reader, fromClient bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		r.mu.Lock()
		frozen := r.frozen
		if !frozen && fromClient && r.marker != nil && bytes.Contains(buf[:n], r.marker) {
			r.frozen, r.marker = true, nil // after these bytes: the answer to them finds it frozen
		}
		r.mu.Unlock()
		if frozen {
			return
		}
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

// freezeOn freezes the relay as a client sends bytes holding marker (a
// query's text): they reach the server, whose answer is never passed on,
// and from then on nothing passes either way on any connection, each kept
// open — a server frozen, or a network partition, with the query under way.
func (r *relay) freezeOn(marker string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.marker = []byte(marker)
}

// thaw ends a freeze: every connection is closed, as a server restarted
// closes them, and new ones pass again.
func (r *relay) thaw() {
	r.mu.Lock()
	conns := r.conns
	r.conns, r.frozen, r.marker = nil, false, nil
	r.mu.Unlock()
	for _, c := range conns {
		c.Close()
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
// through a relay the test can cut, hang or freeze; query adds parameters
// to the database URL, configure changes the rest of the configuration.
func startBehindRelay(t *testing.T, query map[string]string, configure ...func(*config.Config)) (*env, *relay) {
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
		for _, f := range configure {
			f(c)
		}
	})
	return e, db
}
