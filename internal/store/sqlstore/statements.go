package sqlstore

import (
	"context"
	"database/sql"
	"math/bits"
	"sync"
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

// byRows memoizes the text of a multi-row statement for the row counts
// batches are cut into, the powers of two up to maxChunk: a batch asks for
// each text several times, and 128 rows are ~10 KB to build. Other counts
// are built where they are asked for.
func byRows(build func(n int) string) func(n int) string {
	var once sync.Once
	texts := make([]string, bits.Len(maxChunk)) // texts[k]: 1<<k rows
	return func(n int) string {
		if n < 1 || n > maxChunk || n&(n-1) != 0 {
			return build(n)
		}
		once.Do(func() {
			for k := range texts {
				texts[k] = build(1 << k)
			}
		})
		return texts[bits.TrailingZeros(uint(n))]
	}
}

// inLists cuts items into IN lists of the sizes whose statements are
// prepared (powers of two up to maxChunk), each padded to its size with
// repeats of its last value (an IN list ignores them), and calls run with
// each list's size and values.
func inLists(items []any, run func(size int, list []any) error) error {
	for rest := items; len(rest) > 0; {
		n := min(maxChunk, len(rest))
		size := maxChunk
		for size/2 >= n {
			size /= 2
		}
		list := make([]any, size)
		copy(list, rest[:n])
		for i := n; i < size; i++ {
			list[i] = rest[n-1]
		}
		rest = rest[n:]
		if err := run(size, list); err != nil {
			return err
		}
	}
	return nil
}
