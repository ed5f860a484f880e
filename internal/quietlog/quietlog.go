// Package quietlog logs a failure that recurs on every try or every call
// (the database gone, a full disk) at its first occurrence and then at most
// once an interval, saying how often it recurred meanwhile, and logs its
// end: a fault that lasts does not flood the log, and one that ends says so.
package quietlog

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Every is how often a failure that keeps recurring is logged again.
const Every = time.Minute

// Log is one kind of recurring failure's log. The zero Log is ready to use
// and safe for concurrent use.
type Log struct {
	failing atomic.Bool // a run of failures is on: Recovered's fast path
	mu      sync.Mutex
	since   time.Time // first failure of this run of failures; zero: none
	last    time.Time // last failure logged
	skipped int       // failures not logged since last
}

// Warn logs a failure at Warn level (see Failed).
func (q *Log) Warn(log *slog.Logger, msg string, args ...any) {
	q.Failed(log, slog.LevelWarn, msg, args...)
}

// Failed logs a failure at level: the first of a run of failures, then
// one an Every with how many were not logged since (not_logged_since_last,
// the field qwen.FailureLog uses) and for how long they have recurred
// (failing_for).
func (q *Log) Failed(log *slog.Logger, level slog.Level, msg string, args ...any) {
	now := time.Now()
	q.mu.Lock()
	if q.since.IsZero() {
		q.since = now
		q.failing.Store(true)
	} else if now.Sub(q.last) < Every {
		q.skipped++
		q.mu.Unlock()
		return
	}
	if q.skipped > 0 {
		args = append(args, "not_logged_since_last", q.skipped, "failing_for", now.Sub(q.since).Round(time.Second).String())
	}
	q.last, q.skipped = now, 0
	q.mu.Unlock()
	log.Log(context.Background(), level, msg, args...)
}

// Recovered ends a run of failures, logging msg (with args) at Info level
// if one was logged, and reports whether it did. Without one it costs an
// atomic load: callers may call it on every success.
func (q *Log) Recovered(log *slog.Logger, msg string, args ...any) bool {
	if !q.failing.Load() {
		return false
	}
	q.mu.Lock()
	if q.since.IsZero() {
		q.mu.Unlock()
		return false
	}
	failing, skipped := time.Since(q.since).Round(time.Millisecond), q.skipped
	q.since, q.last, q.skipped = time.Time{}, time.Time{}, 0
	q.failing.Store(false)
	q.mu.Unlock()
	log.Info(msg, append(args, "failing_for", failing.String(), "not_logged_since_last", skipped)...)
	return true
}
