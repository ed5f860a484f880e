package server

import (
	"net/http/httptest"
	"testing"
	"time"
)

// deadlines counts the write deadlines set on a connection.
type deadlines struct{ set []time.Time }

func (d *deadlines) SetWriteDeadline(t time.Time) error { d.set = append(d.set, t); return nil }

// Every write has WRITE_TIMEOUT to be taken, but a stream's hundreds of
// writes a second do not each set the connection's deadline (a runtime
// timer update): it is set again only once the last is a sixteenth of the
// timeout old, so a write always has at least 15/16 of it.
func TestWriteDeadlinesAreSetWithoutEveryWrite(t *testing.T) {
	conn := &deadlines{}
	w := &statusWriter{ResponseWriter: httptest.NewRecorder(), conn: conn, writeTimeout: time.Minute}
	start := time.Now()
	for range 1000 {
		if _, err := w.Write([]byte("data: {}\n\n")); err != nil {
			t.Fatal(err)
		}
		if err := w.FlushError(); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	// One at the first write, then at most one a second of the loop.
	if max := 1 + int(elapsed/time.Second); len(conn.set) == 0 || len(conn.set) > max {
		t.Fatalf("%d deadlines set for 2,000 writes and flushes in %v, want 1 to %d", len(conn.set), elapsed, max)
	}
	if d := conn.set[0].Sub(start); d < 59*time.Second || d > time.Minute+elapsed {
		t.Fatalf("the first deadline is %v after the first write, want WRITE_TIMEOUT", d)
	}

	// A short timeout is re-armed within a sixteenth of it: a write never
	// has less than 15/16 of the timeout left.
	conn.set = nil
	w = &statusWriter{ResponseWriter: httptest.NewRecorder(), conn: conn, writeTimeout: 160 * time.Millisecond}
	w.Write([]byte("a"))
	w.armed = w.armed.Add(-11 * time.Millisecond) // the last arming 11 ms ago: past 160/16
	w.Write([]byte("b"))
	if len(conn.set) != 2 {
		t.Fatalf("%d deadlines set, want the second write to set its own", len(conn.set))
	}
}
