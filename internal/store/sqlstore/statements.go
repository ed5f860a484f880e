package sqlstore

import (
	"context"
	"database/sql"
)

// maxStatements bounds the prepared-statement cache; past it, statements
// are prepared where they run.
const maxStatements = 128

// prepare prepares query on the write pool and keeps it. It must not run
// inside a write transaction: on SQLite that holds the one write connection.
func (s *Store) prepare(ctx context.Context, query string) error {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if s.stmts[query] != nil || len(s.stmts) >= maxStatements {
		return nil
	}
	stmt, err := s.write.DB.PrepareContext(ctx, s.dialect.Rebind(query))
	if err != nil {
		return err
	}
	s.stmts[query] = stmt
	return nil
}

// keptStmt is query's statement when prepared, else nil.
func (s *Store) keptStmt(query string) *sql.Stmt {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	return s.stmts[query]
}

// stmt returns query for tx: its kept statement when prepared, else the
// query text to run (a statement prepared in tx and closed with it).
func (s *Store) stmt(ctx context.Context, tx *txn, query string) interface {
	QueryContext(context.Context, ...any) (*sql.Rows, error)
	ExecContext(context.Context, ...any) (sql.Result, error)
} {
	s.stmtMu.Lock()
	kept := s.stmts[query]
	s.stmtMu.Unlock()
	if kept != nil {
		return tx.StmtContext(ctx, kept)
	}
	return unprepared{tx, query}
}

// unprepared runs a query text in a transaction, like a statement.
type unprepared struct {
	tx    *txn
	query string
}

func (u unprepared) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	return u.tx.QueryContext(ctx, u.query, args...)
}

func (u unprepared) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return u.tx.ExecContext(ctx, u.query, args...)
}
