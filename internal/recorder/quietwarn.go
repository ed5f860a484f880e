package recorder

import (
	"log/slog"
	"time"
)

// quietWarnEvery is how often a failure that keeps recurring is logged again.
const quietWarnEvery = time.Minute

// quietWarn logs a failure the writer meets again on every retry (the
// database gone, the spool not replaying) at its first occurrence and then
// once a minute, saying how often it recurred meanwhile (the field
// qwen.FailureLog uses), and logs its end.
// It is not safe for concurrent use: the writer goroutine owns it.
type quietWarn struct {
	since   time.Time // first failure of this run of failures; zero: none
	last    time.Time // last failure logged
	skipped int       // failures not logged since last
}

func (q *quietWarn) warn(log *slog.Logger, msg string, args ...any) {
	now := time.Now()
	if q.since.IsZero() {
		q.since = now
	} else if now.Sub(q.last) < quietWarnEvery {
		q.skipped++
		return
	}
	if q.skipped > 0 {
		args = append(args, "not_logged_since_last", q.skipped, "failing_for", now.Sub(q.since).Round(time.Second).String())
	}
	q.last, q.skipped = now, 0
	log.Warn(msg, args...)
}

// recovered ends a run of failures, logging its end if one was logged.
func (q *quietWarn) recovered(log *slog.Logger, msg string) {
	if q.since.IsZero() {
		return
	}
	log.Info(msg, "failing_for", time.Since(q.since).Round(time.Millisecond).String(), "not_logged_since_last", q.skipped)
	*q = quietWarn{}
}
