package server

import (
	"net"
	"sync/atomic"
	"time"
)

// WriteDeadlines wraps ln so that every write to a client's connection has
// timeout (WRITE_TIMEOUT) to be taken. A client that stops reading (or reads
// a byte a minute) would otherwise hold its call, its goroutine and its
// session's lock for as long as it keeps the connection open: the call's
// own time limit cannot end a write blocked on a full socket. Each write
// gets its own deadline, so a long stream that is read is never cut; what
// the server writes between requests (a 431, a 400) is bounded alike.
//
// The deadline is set where bytes reach the socket, not at each of the
// handler's writes: net/http buffers those (a streamed answer's hundreds of
// events a second become a few socket writes), and setting a deadline costs
// a runtime timer update (~140 ns). It is also set again only once the last
// is older than a sixteenth of timeout (at most a second), so each write
// has between 15/16 of timeout and all of it.
func WriteDeadlines(ln net.Listener, timeout time.Duration) net.Listener {
	return &deadlineListener{Listener: ln, timeout: timeout}
}

type deadlineListener struct {
	net.Listener
	timeout time.Duration
}

func (l *deadlineListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &deadlineConn{Conn: c, timeout: l.timeout, rearm: min(l.timeout/16, time.Second), born: time.Now()}, nil
}

// deadlineConn is a client's connection whose writes have deadlines (see
// WriteDeadlines). It is not an io.ReaderFrom, so net/http's sendfile path
// cannot write around the deadline.
type deadlineConn struct {
	net.Conn
	timeout, rearm time.Duration
	born           time.Time
	// armed is when the deadline was last set, as time since born (the
	// monotonic clock) plus one; 0: not yet. Atomic: a hijacked connection
	// may be written from several goroutines.
	armed atomic.Int64
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	now := time.Now()
	since := int64(now.Sub(c.born)) + 1
	if last := c.armed.Load(); last == 0 || time.Duration(since-last) >= c.rearm {
		c.armed.Store(since)
		_ = c.Conn.SetWriteDeadline(now.Add(c.timeout))
	}
	return c.Conn.Write(b)
}

// SetWriteDeadline sets the connection's deadline for others (net/http
// lifts it after each request) and lets the next write set its own.
func (c *deadlineConn) SetWriteDeadline(t time.Time) error {
	c.armed.Store(0)
	return c.Conn.SetWriteDeadline(t)
}

// SetDeadline is SetWriteDeadline for reads and writes alike.
func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.armed.Store(0)
	return c.Conn.SetDeadline(t)
}

// CloseWrite half-closes a TCP connection, as net/http does before closing
// one it answered with an error.
func (c *deadlineConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
