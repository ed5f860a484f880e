package e2e

import (
	"io"
	"net"
	"sync"
	"testing"
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
