package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"unicode/utf8"
)

// pool is a connection pool whose queries are written with ? placeholders
// and rewritten for the backend on the way out.
type pool struct {
	*sql.DB
	rebind func(string) string

	mu   sync.Mutex
	kept map[string]*sql.Stmt // statements prepared once (see prepare)
}

func newPool(db *sql.DB, rebind func(string) string) *pool {
	return &pool{DB: db, rebind: rebind, kept: map[string]*sql.Stmt{}}
}

func (p *pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.DB.ExecContext(ctx, p.rebind(query), text(args)...)
}

func (p *pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.DB.QueryContext(ctx, p.rebind(query), text(args)...)
}

func (p *pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.DB.QueryRowContext(ctx, p.rebind(query), text(args)...)
}

func (p *pool) BeginTx(ctx context.Context, opts *sql.TxOptions) (*txn, error) {
	tx, err := p.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txn{Tx: tx, rebind: p.rebind}, nil
}

// txn is a transaction of a pool, rewriting placeholders the same way.
type txn struct {
	*sql.Tx
	rebind func(string) string
	// kept, when set, returns the statement prepared once for a query, or
	// nil: ExecContext, QueryContext and QueryRowContext then use it rather
	// than preparing the query again (the recorder's transactions run the
	// same few statements, and preparing costs SQLite more than running
	// them).
	kept func(query string) *sql.Stmt
}

func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	args = text(args)
	if t.kept != nil {
		if stmt := t.kept(query); stmt != nil {
			return t.Tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
		}
	}
	return t.Tx.ExecContext(ctx, t.rebind(query), args...)
}

func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	args = text(args)
	if t.kept != nil {
		if stmt := t.kept(query); stmt != nil {
			return t.Tx.StmtContext(ctx, stmt).QueryContext(ctx, args...)
		}
	}
	return t.Tx.QueryContext(ctx, t.rebind(query), args...)
}

func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	args = text(args)
	if t.kept != nil {
		if stmt := t.kept(query); stmt != nil {
			return t.Tx.StmtContext(ctx, stmt).QueryRowContext(ctx, args...)
		}
	}
	return t.Tx.QueryRowContext(ctx, t.rebind(query), args...)
}

// RowQuerier reads a row (a dialect's reads to choose a plan).
type RowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// querier runs reads: a pool, or a transaction (see Store.snapshot).
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// text makes the string arguments of a statement text both backends take:
// PostgreSQL refuses a NUL or bytes that are not UTF-8 in a text column —
// and one such value (a client's first message, User-Agent, unknown field
// name) made every batch it was in fail, the spool's replay too, so nothing
// more was recorded. Each is stored as U+FFFD, as bodies' invalid bytes read
// back; SQLite stores the same, so a copy from it to PostgreSQL goes
// through. Bodies are bytes (blobs) and keep every byte. args is returned
// as it is unless it needs a change, then copied.
func text(args []any) []any {
	copied := false
	for i, a := range args {
		if s, ok := a.(string); ok && (strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s)) {
			if !copied {
				args, copied = append([]any(nil), args...), true
			}
			args[i] = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
		}
	}
	return args
}
