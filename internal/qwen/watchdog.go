package qwen

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// watchChecks is how many times per idle period a watchdog looks for
// progress: a stall is caught after between IdleTimeout and 1 + 1/watchChecks
// of it.
const watchChecks = 4

// watchdog cancels a completion whose upstream goes silent: for the client's
// Timeout until the response headers, then for IdleTimeout between events.
// Events only count themselves (beat), and the timer checks the count every
// idle/watchChecks: resetting a timer on each of an answer's hundreds of
// events cost about a tenth of reading it (BenchmarkStreamEventsPipeline).
type watchdog struct {
	cancel   context.CancelFunc
	timedOut atomic.Bool   // the call ended because upstream was silent
	beats    atomic.Uint64 // events begun since the stream opened

	mu    sync.Mutex // guards what follows, and fire against stream and stop
	timer *time.Timer
	idle  time.Duration // 0 until the stream is read: the first wait is the call's Timeout
	seen  uint64        // beats at the last check
	quiet int           // checks in a row that saw no beat
}

// newWatchdog cancels with cancel unless the stream begins within first.
func newWatchdog(first time.Duration, cancel context.CancelFunc) *watchdog {
	w := &watchdog{cancel: cancel}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer = time.AfterFunc(first, w.fire)
	return w
}

// stream switches to watching the gaps between events, each at most idle.
func (w *watchdog) stream(idle time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer == nil || w.timedOut.Load() {
		return
	}
	w.idle, w.seen, w.quiet = idle, w.beats.Load(), 0
	w.timer.Reset(w.period())
}

// beat marks an event begun.
func (w *watchdog) beat() { w.beats.Add(1) }

// stop ends the watch.
func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
}

func (w *watchdog) period() time.Duration {
	return max(w.idle/watchChecks, time.Microsecond)
}

func (w *watchdog) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.idle > 0 {
		if b := w.beats.Load(); b != w.seen {
			w.seen, w.quiet = b, 0
		} else {
			w.quiet++
		}
		if w.quiet < watchChecks {
			w.timer.Reset(w.period())
			return
		}
	}
	w.timedOut.Store(true)
	w.cancel()
}
