package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/store"
	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/sqlite"
	"qwenproxy/internal/store/sqlstore"
)

// The backoff between attempts to reach a PostgreSQL server at start: it
// doubles from the first to the last, so a server that is up within a
// second is found within a second, and a minute's wait logs ~15 lines.
const (
	firstStoreRetry = 250 * time.Millisecond
	lastStoreRetry  = 5 * time.Second
)

// openStore opens the configured database. A PostgreSQL server that cannot
// be reached yet (postgres.Unreachable: refused, unresolved, starting up) is
// tried again with backoff for up to DATABASE_START_TIMEOUT, each failure
// logged as a warning, so that a proxy started with its database (a compose
// file, a host's boot order) waits for it instead of exiting; any other
// failure (a wrong password, no such database) and the last one past the
// timeout are returned. ctx (a stop signal) ends the wait. restored hears
// what a SQLite file made beside a save brought in from it (sqlite.Open).
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger, restored func(sqlite.RestoredSave)) (*sqlstore.Store, error) {
	opt := store.Options{
		SQLite:   sqlite.Options{BusyTimeoutMS: int(cfg.DatabaseBusyTimeout.Milliseconds()), Restored: restored, Serving: true},
		Postgres: postgres.Options{MaxConns: cfg.DatabaseMaxConns, LockTimeout: cfg.DatabaseBusyTimeout},
	}
	deadline := time.Now().Add(cfg.DatabaseStartTimeout)
	wait := firstStoreRetry
	for attempt := 1; ; attempt++ {
		st, err := store.Open(ctx, cfg.Database(), opt)
		if err == nil || !postgres.IsURL(cfg.Database()) || !postgres.Unreachable(err) || ctx.Err() != nil {
			return st, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			if cfg.DatabaseStartTimeout == 0 {
				return nil, err
			}
			return nil, fmt.Errorf("%w (still unreachable after %d attempts in %s: DATABASE_START_TIMEOUT)", err, attempt, cfg.DatabaseStartTimeout)
		}
		wait = min(wait, left)
		log.Warn("waiting for the database: it cannot be reached yet", "database", postgres.Redact(cfg.Database()),
			"attempt", attempt, "retry_in", wait, "gives_up_in", left.Round(time.Second), "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (stopped while waiting for it)", err)
		case <-t.C:
		}
		wait = min(2*wait, lastStoreRetry)
	}
}
