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

// prepare prepares query on the pool and keeps it, unless the pool keeps
// maxStatements already. On the write pool it must not run inside a write
// transaction: on SQLite that holds the one write connection. mu is not
// held while preparing: preparing waits for that connection, and a
// transaction holding it looks its statements up under mu.
func (p *pool) prepare(ctx context.Context, query string) error {
	if p.keptStmt(query) != nil || p.statementsFull() {
		return nil
	}
	stmt, err := p.DB.PrepareContext(ctx, p.rebind(query))
	if err != nil {
		return err
	}
	p.mu.Lock()
	kept := p.kept[query] == nil && len(p.kept) < maxStatements
	if kept {
		p.kept[query] = stmt
	}
	p.mu.Unlock()
	if !kept { // another caller kept one meanwhile, or the cache filled
		stmt.Close()
	}
	return nil
}

// statementsFull reports whether the pool keeps maxStatements statements.
func (p *pool) statementsFull() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.kept) >= maxStatements
}

// keptStmt is query's statement when prepared, else nil.
func (p *pool) keptStmt(query string) *sql.Stmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.kept[query]
}

// QueryRowKept is QueryRowContext with query prepared once and kept
// (database/sql prepares it again on each connection it runs on): for the
// few reads on a call's path, whose preparing costs SQLite about twice what
// running them does (~200 µs a conversation looked up by its history).
func (p *pool) QueryRowKept(ctx context.Context, query string, args ...any) *sql.Row {
	if err := p.prepare(ctx, query); err == nil {
		if stmt := p.keptStmt(query); stmt != nil {
			return stmt.QueryRowContext(ctx, text(args)...)
		}
	}
	return p.QueryRowContext(ctx, query, args...) // a preparing error shows in the row
}

// closeKept closes the statements the pool keeps.
func (p *pool) closeKept() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for q, stmt := range p.kept {
		stmt.Close()
		delete(p.kept, q)
	}
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
