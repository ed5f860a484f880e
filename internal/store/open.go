// Package store opens the database a target names: a PostgreSQL server for
// a postgres:// URL, else a SQLite file.
package store

import (
	"context"
	"strings"

	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/sqlite"
	"qwenproxy/internal/store/sqlstore"
)

// Options tune either backend.
type Options struct {
	SQLite   sqlite.Options
	Postgres postgres.Options
}

// Open opens the database at target: "postgres://…" (or "postgresql://…"),
// "sqlite:PATH", or a bare SQLite file path. Call Migrate before use.
func Open(ctx context.Context, target string, opt Options) (*sqlstore.Store, error) {
	if postgres.IsURL(target) {
		return postgres.Open(ctx, target, opt.Postgres)
	}
	return sqlite.Open(ctx, strings.TrimPrefix(target, "sqlite:"), opt.SQLite)
}
