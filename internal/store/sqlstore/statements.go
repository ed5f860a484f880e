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
// stmtMu is not held while preparing: preparing waits for that connection,
// and a transaction holding it looks its statements up under stmtMu.
func (s *Store) prepare(ctx context.Context, query string) error {
	if s.keptStmt(query) != nil || s.statementsFull() {
		return nil
	}
	stmt, err := s.write.DB.PrepareContext(ctx, s.dialect.Rebind(query))
	if err != nil {
		return err
	}
	s.stmtMu.Lock()
	kept := s.stmts[query] == nil && len(s.stmts) < maxStatements
	if kept {
		s.stmts[query] = stmt
	}
	s.stmtMu.Unlock()
	if !kept { // another writer kept one meanwhile, or the cache filled
		stmt.Close()
	}
	return nil
}

// statementsFull reports whether the statement cache holds maxStatements.
func (s *Store) statementsFull() bool {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	return len(s.stmts) >= maxStatements
}

// keptStmt is query's statement when prepared, else nil.
func (s *Store) keptStmt(query string) *sql.Stmt {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	return s.stmts[query]
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

// queryIn runs query, made for an IN list of n values, over items cut into
// inLists, and hands each row to scan.
func queryIn(ctx context.Context, q querier, items []any, query func(n int) string, scan func(*sql.Rows) error) error {
	return inLists(items, func(size int, list []any) error {
		rows, err := q.QueryContext(ctx, query(size), list...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// keysOf is a set's members, as query arguments.
func keysOf(set map[string]bool) []any {
	keys := make([]any, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	return keys
}
