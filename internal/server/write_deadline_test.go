package server

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingConn counts the write deadlines set on a real connection (not
// those lifted).
type countingConn struct {
	net.Conn
	set, lifted atomic.Int64
	closeOnce   sync.Once
	closed      chan struct{} // closed by Close, when made
}

func (c *countingConn) Close() error {
	if c.closed != nil {
		c.closeOnce.Do(func() { close(c.closed) })
	}
	return c.Conn.Close()
}

func (c *countingConn) SetWriteDeadline(t time.Time) error {
	if t.IsZero() {
		c.lifted.Add(1)
	} else {
		c.set.Add(1)
	}
	return c.Conn.SetWriteDeadline(t)
}

type listenerOf struct {
	net.Listener
	accepted chan *countingConn
}

func (l *listenerOf) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := &countingConn{Conn: c, closed: make(chan struct{})}
	l.accepted <- cc
	return cc, nil
}

// Every write has WRITE_TIMEOUT to be taken, but a stream's hundreds of
// writes a second do not each set the connection's deadline (a runtime
// timer update): it is set where bytes reach the socket, and again only
// once the last is a sixteenth of the timeout old.
func TestWriteDeadlinesAreSetWithoutEveryWrite(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counted := &listenerOf{Listener: ln, accepted: make(chan *countingConn, 1)}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		for range 1000 {
			w.Write([]byte("data: {}\n\n"))
			rc.Flush()
		}
	})}
	go srv.Serve(WriteDeadlines(counted, time.Minute))
	defer srv.Close()

	start := time.Now()
	resp, err := http.Get("http://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if n := strings.Count(string(body), "data: {}"); n != 1000 {
		t.Fatalf("%d events read, want 1000", n)
	}
	conn := <-counted.accepted
	// One at the first write, then at most one a second of the stream.
	if max := 1 + int(elapsed/time.Second); conn.set.Load() == 0 || conn.set.Load() > int64(max) {
		t.Fatalf("%d deadlines set for 1,000 writes and flushes in %v, want 1 to %d", conn.set.Load(), elapsed, max)
	}
}

// A short timeout is re-armed within a sixteenth of it, so a write never
// has less than 15/16 of the timeout left; the deadline set is the timeout
// from the write.
func TestWriteDeadlinesAreRearmedWithinASixteenth(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	go io.Copy(io.Discard, client)
	conn := &countingConn{Conn: server}
	c := &deadlineConn{Conn: conn, timeout: 160 * time.Millisecond, rearm: 10 * time.Millisecond, born: time.Now()}
	c.Write([]byte("a"))
	c.Write([]byte("b"))
	if n := conn.set.Load(); n != 1 {
		t.Fatalf("%d deadlines set for two writes at once, want 1", n)
	}
	c.armed.Add(-int64(11 * time.Millisecond)) // the last arming 11 ms ago: past 160/16
	c.Write([]byte("c"))
	if n := conn.set.Load(); n != 2 {
		t.Fatalf("%d deadlines set, want the third write to set its own", n)
	}
}

// net/http lifts the connection's write deadline after each request: the
// next request's first write sets its own again, however soon it comes.
func TestWriteDeadlinesOutliveNetHTTPLiftingThem(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counted := &listenerOf{Listener: ln, accepted: make(chan *countingConn, 1)}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })}
	go srv.Serve(WriteDeadlines(counted, time.Minute))
	defer srv.Close()
	client := &http.Client{}
	for range 3 {
		resp, err := client.Get("http://" + ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	conn := <-counted.accepted
	// net/http lifts a request's deadline after its answer went out: the
	// client may have read the third before. The server closes the
	// connection only after that, once the client has closed it.
	client.CloseIdleConnections()
	<-conn.closed
	if set, lifted := conn.set.Load(), conn.lifted.Load(); set != 3 || lifted != 3 {
		t.Fatalf("three requests on one connection: %d deadlines set, %d lifted; want each request's answer to set its own", set, lifted)
	}
}
