package sqlstore

import (
	"context"
	"fmt"
)

// rowIDs are the ids reserved for a chunk's rows, handed out in order; none
// where the database chooses each row's id.
type rowIDs struct {
	reserved bool
	next     int64
}

// appendNext appends the next reserved id to a row's arguments, if any.
func (r *rowIDs) appendNext(args []any) []any {
	if !r.reserved {
		return args
	}
	args = append(args, r.next)
	r.next++
	return args
}

// reserveIDs reserves n ids for new rows of table (requests or responses)
// above every id the store has given it, where the database would give a
// deleted row's id again: SQLite gives a new row the largest id plus one,
// so the ids of the newest calls, once deleted (their session, a prune),
// came back, and a link to a deleted call (`/v1/requests/30`, the
// dashboard's `#/calls/30`) opened a later one, which the dashboard's Live
// page, skipping ids it had shown, did not show. PostgreSQL's identity
// columns never give an id twice: there nothing is reserved. The floor also
// counts the table's largest id, for rows written by other means.
func (s *Store) reserveIDs(ctx context.Context, tx *txn, table string, n int) (*rowIDs, error) {
	if !s.dialect.ReusesRowIDs() {
		return &rowIDs{}, nil
	}
	query, ok := reserveRowIDs[table]
	if !ok {
		return nil, fmt.Errorf("reserve ids: no floor kept for table %q", table)
	}
	var last int64
	if err := tx.QueryRowContext(ctx, query, n).Scan(&last); err != nil {
		return nil, fmt.Errorf("reserve %d %s ids: %w", n, table, err)
	}
	return &rowIDs{reserved: true, next: last - int64(n) + 1}, nil
}

// reserveRowIDs raise a table's floor (migration 0030's row_id_floors) by n
// and return it: the last of the n ids reserved.
var reserveRowIDs = map[string]string{
	"requests":  reserveRowIDsOf("requests"),
	"responses": reserveRowIDsOf("responses"),
}

func reserveRowIDsOf(table string) string {
	return `UPDATE row_id_floors SET floor = MAX(floor, (SELECT COALESCE(MAX(id), 0) FROM ` + table + `)) + ?
		WHERE name = '` + table + `' RETURNING floor`
}
