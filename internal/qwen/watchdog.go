package qwen

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// watchChecks is how many times per idle period a watchdog looks for an
// event begun while its reader is not waiting for Qwen (see fire).
const watchChecks = 4

// watchdog cancels a completion whose upstream goes silent: for the client's
// Timeout until the response headers, then for IdleTimeout between the
// bytes Qwen sends. Each read from upstream notes that it waits and, once
// bytes came, when (a clock read per read from the connection, not per
// event: resetting a timer on each of an answer's hundreds of events cost
// about a tenth of reading it, BenchmarkStreamEventsPipeline, and a clock
// read per event a tenth again). The timer is set for the idle time after
// the last bytes came: when it fires with the reader still waiting, the
// silence has reached the idle time, and is cut then, the error saying how
// long it lasted, as measured. (Until 2026-12-06 the timer looked four
// times per idle time for an event begun, cut a silence between 1× and
// 1.25× of it, and the error named 1×.)
type watchdog struct {
	cancel   context.CancelFunc
	timedOut atomic.Bool   // the call ended because upstream was silent
	beats    atomic.Uint64 // events begun since the stream opened
	waiting  atomic.Bool   // the reader waits in a read from upstream
	lastData atomic.Int64  // when bytes last came from upstream, on now's clock
	silence  atomic.Int64  // how long upstream had sent nothing when cut

	// now is the time since the watch began, on the monotonic clock (a
	// test's own clock in tests); nil for a stream with no idle time
	// (NewStream), whose reads note nothing.
	now func() time.Duration

	mu    sync.Mutex // guards what follows, and fire against stream and stop
	timer *time.Timer
	idle  time.Duration // 0 until the stream is read: the first wait is the call's Timeout
	due   time.Duration // when, on now's clock, the timer is set to fire
	seen  uint64        // beats at the last check
	quiet int           // checks in a row that saw no beat
}

// newWatchdog cancels with cancel unless the stream begins within first.
func newWatchdog(first time.Duration, cancel context.CancelFunc) *watchdog {
	start := time.Now()
	return startWatchdog(first, cancel, func() time.Duration { return time.Since(start) })
}

// startWatchdog is newWatchdog on the clock now.
func startWatchdog(first time.Duration, cancel context.CancelFunc, now func() time.Duration) *watchdog {
	w := &watchdog{cancel: cancel, now: now}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.due = now() + first
	w.timer = time.AfterFunc(first, w.fire)
	return w
}

// stream switches to watching the silences of the stream, each at most
// idle; its headers are the first bytes.
func (w *watchdog) stream(idle time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer == nil || w.timedOut.Load() {
		return
	}
	now := w.now()
	w.idle, w.seen, w.quiet = idle, w.beats.Load(), 0
	w.lastData.Store(int64(now))
	w.setFor(now, idle)
}

// setFor sets the timer to fire after d, from now.
func (w *watchdog) setFor(now, d time.Duration) {
	w.due = now + d
	w.timer.Reset(d)
}

// beat marks an event begun.
func (w *watchdog) beat() { w.beats.Add(1) }

// reading marks a read from upstream begun.
func (w *watchdog) reading() {
	if w.now != nil {
		w.waiting.Store(true)
	}
}

// read marks a read from upstream ended with n bytes.
func (w *watchdog) read(n int) {
	if w.now == nil {
		return
	}
	if n > 0 {
		w.lastData.Store(int64(w.now()))
	}
	w.waiting.Store(false)
}

// stop ends the watch.
func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
}

// fire checks the watch: its timer's, or a test's call. Once it has cut,
// it is done: a check that comes after (a timer set for a moment before
// the cut, firing with it) neither cancels again nor says another silence.
func (w *watchdog) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timedOut.Load() {
		return
	}
	if w.idle > 0 {
		if b := w.beats.Load(); b != w.seen {
			w.seen, w.quiet = b, 0
		} else {
			w.quiet++
		}
		now := w.now()
		silent := now - time.Duration(w.lastData.Load())
		switch {
		case silent < w.idle:
			w.setFor(now, w.idle-silent) // the idle time after the last bytes
			return
		case !w.waiting.Load() && w.quiet < watchChecks:
			// The reader is not waiting for Qwen: it is handing on
			// what was read (to a slow client, say). It is cut only once
			// it has begun no event for watchChecks checks, the idle
			// time, as a stream stuck elsewhere than in its read.
			w.setFor(now, max(w.idle/watchChecks, time.Microsecond))
			return
		}
		w.silence.Store(int64(silent))
	}
	w.timedOut.Store(true)
	w.cancel()
}

// silent is how long upstream had sent nothing when the watch cut it.
func (w *watchdog) silent() time.Duration { return time.Duration(w.silence.Load()) }
