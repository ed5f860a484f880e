package server

import (
	"errors"
	"log/slog"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"qwenproxy/internal/quietlog"
)

// QuietAccepts wraps ln so that a process out of file descriptors (EMFILE,
// ENFILE: more clients than its limit allows) is logged once when it begins,
// then at most once a minute, and its end once no accept has been refused
// for acceptSettle, with what to do about it — net/http logged "http: Accept
// error" at each of its retries, every 5 ms to 1 s: 1,101 lines in eight
// seconds of 80 clients against a limit of 60, and none of them said what to
// do. It retries as net/http does, waiting 5 ms doubling to 1 s; other
// errors (the listener closed) are returned as they are.
func QuietAccepts(ln net.Listener, log *slog.Logger) net.Listener {
	l := &quietListener{Listener: ln, log: log}
	l.settle.Store(int64(acceptSettle))
	return l
}

// acceptSettle is how long accepts must go unrefused for the fault to be
// over: at the limit, a call's end frees a descriptor that the next client
// takes at once, and the refusals resume — an end logged at each would be
// the flood again.
const acceptSettle = 10 * time.Second

type quietListener struct {
	net.Listener
	log     *slog.Logger
	settle  atomic.Int64 // acceptSettle, in ns (tests shorten it)
	refused quietlog.Log
	// lastRefused is when an accept was last refused, in Unix ns; 0: not
	// since the fault's end was logged.
	lastRefused atomic.Int64
}

func (l *quietListener) Accept() (net.Conn, error) {
	var wait time.Duration
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			if last := l.lastRefused.Load(); last != 0 && time.Since(time.Unix(0, last)) >= time.Duration(l.settle.Load()) &&
				l.lastRefused.CompareAndSwap(last, 0) {
				l.refused.Recovered(l.log, "connections are accepted again")
			}
			return c, nil
		}
		if !errors.Is(err, syscall.EMFILE) && !errors.Is(err, syscall.ENFILE) {
			return nil, err
		}
		l.lastRefused.Store(time.Now().UnixNano())
		l.refused.Failed(l.log, slog.LevelError, "cannot accept connections: the process has no file descriptors left; "+
			"new clients wait until calls end (raise its limit of open files: ulimit -n, systemd's LimitNOFILE)", "err", err)
		wait = min(max(2*wait, 5*time.Millisecond), time.Second)
		time.Sleep(wait) // the accept loop's own backoff, as net/http's; nothing else waits on it
	}
}
