package server

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"qwenproxy/internal/logtest"
)

// outOfFiles is a listener whose first accepts fail as a process out of
// file descriptors fails them, then accepts from a real one.
type outOfFiles struct {
	net.Listener
	failures atomic.Int32
}

func (l *outOfFiles) Accept() (net.Conn, error) {
	if l.failures.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// A process out of file descriptors is logged once, saying what to do,
// and again when connections are accepted anew; net/http logged every
// retry (1,101 lines in eight seconds of 80 clients against a limit of 60).
// At the limit, refusals and accepts alternate: the end is logged only
// once accepts have gone unrefused for a while, not at every accept.
func TestRunningOutOfFileDescriptorsIsLoggedOnce(t *testing.T) {
	real, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &outOfFiles{Listener: real}
	ln.failures.Store(6)
	var logs logtest.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	srv := &http.Server{
		Handler:  http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn), // as the app's
	}
	quiet := QuietAccepts(WriteDeadlines(ln, time.Minute), log)
	go srv.Serve(quiet)
	t.Cleanup(func() { srv.Close() })
	get := func() {
		t.Helper()
		resp, err := http.Get("http://" + real.Addr().String() + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "ok" {
			t.Fatalf("answered %q", body)
		}
	}
	http.DefaultClient.CloseIdleConnections()
	get()
	ln.failures.Store(3) // refused again at once, as at the limit
	http.DefaultClient.CloseIdleConnections()
	get()
	out := logs.String()
	if n := strings.Count(out, "cannot accept connections"); n != 1 || strings.Contains(out, "http: Accept error") ||
		!strings.Contains(out, "ulimit -n") || !strings.Contains(out, "too many open files") ||
		strings.Contains(out, "accepted again") {
		t.Fatalf("nine refused accepts, between two taken, logged so:\n%s", out)
	}

	ql, ok := quiet.(*quietListener)
	if !ok {
		t.Fatalf("QuietAccepts made a %T", quiet)
	}
	ql.settle.Store(0) // the refusals are long past
	http.DefaultClient.CloseIdleConnections()
	get()
	if out := logs.String(); strings.Count(out, "connections are accepted again") != 1 {
		t.Fatalf("the end of the fault is not logged once:\n%s", out)
	}
}
