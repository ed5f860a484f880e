package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// The response list sorted by total tokens, its first page and a page after
// a cursor, reads an index in its order and sorts nothing: with no index that
// served it (the list sorted by COALESCE(total_tokens, 0)), each page read
// and sorted every response, 1-2 s at a million calls.
func TestTheSortByTotalTokensReadsAnIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		const page = `SELECT r.id FROM responses r JOIN requests q ON q.id = r.request_id`
		const order = ` ORDER BY r.total_tokens DESC, r.id DESC LIMIT 51`
		for _, q := range []string{page + order, page + ` WHERE (r.total_tokens, r.id) < (5000, 99)` + order} {
			plan := explain(ctx, t, st.DB(), st.Backend(), q)
			if strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort") || !strings.Contains(plan, "idx_responses_total_tokens") {
				t.Errorf("%s\nis planned as\n%s", q, plan)
			}
		}
	})
}

// explain returns the plan of q, one line a step. On PostgreSQL the table
// scan and sorting are priced out of reach (the test's tables are tiny, so
// a scan would win): the plan then sorts only if no index gives the order.
func explain(ctx context.Context, t *testing.T, db *sql.DB, backend, q string) string {
	t.Helper()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if backend == "postgres" {
		// Bitmap scans off too: the planner takes one of an index rather
		// than its index-only scan while the table's pages are not yet
		// marked all-visible, which VACUUM cannot do while another
		// session's snapshot is older (the other packages' tests share
		// the server): the plan asserted is which index, and its range.
		if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off`); err != nil {
			t.Fatal(err)
		}
		q = "EXPLAIN " + q
	} else {
		q = "EXPLAIN QUERY PLAN " + q
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
