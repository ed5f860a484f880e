// Package refresh keeps a value read from the database fresh in the
// background, so that no request waits on (or queries) the database for it:
// requests use the last good value. While the database fails, reads are
// retried with backoff, and the failure is logged once, not per request.
package refresh

import (
	"context"
	"log/slog"
	"time"
)

// MaxDelay caps the backoff between failed reads.
const MaxDelay = 30 * time.Second

// Loop calls load every interval until ctx ends. After a failure it waits
// Backoff(failures) instead; what is logged names the value (what).
func Loop(ctx context.Context, interval time.Duration, what string, log *slog.Logger, load func(context.Context) error) {
	failures := 0
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		readCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := load(readCtx)
		cancel()
		delay := interval
		switch {
		case err != nil && ctx.Err() == nil:
			failures++
			delay = Backoff(interval, failures)
			if failures == 1 {
				log.Warn(what+" cannot be read from the database; the last known stay in force", "err", err, "retry_in", delay)
			}
		case err == nil && failures > 0:
			log.Info(what+" read from the database again", "after_failures", failures)
			failures = 0
		}
		timer.Reset(delay)
	}
}

// Backoff is the wait after the n-th failure in a row: interval doubled n
// times, at most MaxDelay.
func Backoff(interval time.Duration, n int) time.Duration {
	d := interval
	for range n {
		d *= 2
		if d >= MaxDelay {
			return MaxDelay
		}
	}
	return d
}
