package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
)

// sparseFilterDB holds 30,000 responses, one a second: a common model and
// a rare one (967 rows, every thirty-first), a third of them failed with few
// tokens (clustered at one end of the tokens' order, as errors are), two
// accounts, durations and tokens spread.
func sparseFilterDB(t *testing.T) *sql.DB {
	t.Helper()
	ctx := context.Background()
	db := sqliteWithSchema(t)
	if _, err := db.ExecContext(ctx, `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 30000)
		INSERT INTO requests (id, request_id, timestamp, method, path, model, stream, created_at, status, account)
		SELECT n, 'req-' || n, n * 1000, 'POST', '/v1/chat/completions', CASE WHEN n % 31 = 0 THEN 'rare' ELSE 'qwen3-max' END, n % 2, n * 1000,
			CASE WHEN n % 3 = 0 THEN 'error' ELSE 'success' END, CASE WHEN n % 2 = 0 THEN 'a@x' ELSE 'b@x' END FROM seq`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO responses (id, request_id, response_id, timestamp, model, stream, status, http_status,
		total_tokens, duration_ms, duration_us, created_at, account, finish_reason)
		SELECT id, id, 'resp-' || id, timestamp + 500, model, stream, status, 200,
			CASE WHEN status = 'error' THEN id % 7 ELSE 100 + id % 977 END, 0, (id * 7919) % 100000, created_at, account, 'stop' FROM requests`); err != nil {
		t.Fatal(err)
	}
	countAsMigrated(t, db)
	return db
}

// A response list sorted by duration or tokens under a filter of a few
// thousand rows (a rare model, a rare model's errors, a time range) walks the
// sort's index, looking each entry's id up in the ids the filter's index
// holds, on SQLite: it read each of the filter's rows and sorted them, 15-30
// µs a row (a rare model of a million calls, the last day's 5,400: 14-210 ms
// a page). A filter of very few rows (the walk would pass most of the index
// to find a page) keeps its index and sorts. A time range of denseRows or
// more, alone or with a column, walks the sort's index and filters (the
// busiest model's 90 days: 130-530 ms a page).
func TestASparseFilterSortedByDurationWalksTheSortIndex(t *testing.T) {
	t.Parallel() // tens of thousands of rows seeded: among the longest tests of the package
	ctx := context.Background()
	db := sparseFilterDB(t)
	lastHour := qp.TimeRange{Start: time.UnixMilli(27_000_000), End: time.UnixMilli(30_000_600)}
	for _, c := range []struct {
		f     qp.CallFilter
		sort  string
		walks bool
	}{
		{qp.CallFilter{Model: "rare"}, "duration_ms", true},
		{qp.CallFilter{Model: "rare"}, "total_tokens", true},
		{qp.CallFilter{Model: "rare", Status: qp.StatusError}, "duration_ms", true},
		{qp.CallFilter{Range: lastHour}, "duration_ms", true},
		{qp.CallFilter{Model: "rare", Account: "a@x", Status: qp.StatusError}, "total_tokens", true},
		{qp.CallFilter{Range: qp.TimeRange{Start: time.UnixMilli(29_990_000)}}, "duration_ms", false}, // 10 rows
		// A range of denseRows or more, with a model too, walks the sort's
		// index as a dense filter does.
		{qp.CallFilter{Model: "qwen3-max", Range: qp.TimeRange{Start: time.UnixMilli(4_000_000)}}, "duration_ms", true},
		{qp.CallFilter{Range: qp.TimeRange{Start: time.UnixMilli(4_000_000)}}, "total_tokens", true},
	} {
		o := qp.ListOptions{Limit: 50, Sort: c.sort}
		q, err := responsePage(ctx, db, "sqlite", c.f, o)
		if err != nil {
			t.Fatal(err)
		}
		query, args := choosingQuery(q, o)
		plan := explainSQLite(t, db, query, args)
		index := walkedSorts[sortColumnOf(t, c.sort)]
		scans := strings.Contains(plan, "SCAN r USING COVERING INDEX "+index) || strings.Contains(plan, "SCAN r USING INDEX "+index)
		walks := scans && !strings.Contains(plan, "TEMP B-TREE")
		if walks != c.walks {
			t.Errorf("%+v sorted by %s: walks the sort's index %v, want %v\n%s\nis planned as\n%s", c.f, c.sort, walks, c.walks, query, plan)
		}
	}
}

// A list walked in the sort's index under a time range and a column the
// rollups do not keep (a finish reason) counts its total by the filter's
// index, as before: the walk's conditions, written +r.col, would have
// counted every row of the table.
func TestAWalkedRangeCountsItsTotalByIndex(t *testing.T) {
	t.Parallel() // tens of thousands of rows seeded: among the longest tests of the package
	ctx := context.Background()
	db := sparseFilterDB(t)
	f := qp.CallFilter{FinishReason: "stop", Range: qp.TimeRange{Start: time.UnixMilli(4_000_000)}}
	q, err := responsePage(ctx, db, "sqlite", f, qp.ListOptions{Limit: 50, Sort: "duration_ms"})
	if err != nil {
		t.Fatal(err)
	}
	count, args := q.countFrom+q.where.sql(), q.where.args
	if q.fastCount != "" {
		count, args = q.fastCount, q.fastArgs
	}
	if plan := explainSQLite(t, db, count, args); !strings.Contains(plan, "SEARCH") {
		t.Errorf("%+v: the total %s\nis planned as\n%s", f, count, plan)
	}
}

func sortColumnOf(t *testing.T, sort string) string {
	t.Helper()
	col, err := sortColumn(responseSorts, sort)
	if err != nil {
		t.Fatal(err)
	}
	return col
}

// Whichever way a sorted response list is read (the filter's index and a
// sort, the sort's index walked), its pages hold the rows a naive query
// orders, first pages, pages by cursor either way and by offset, with the
// same totals (but under a time range, summed from rollups these rows lack).
func TestSortedResponsePagesAreTheNaiveQuerysRows(t *testing.T) {
	t.Parallel() // tens of thousands of rows seeded: among the longest tests of the package
	db := sparseFilterDB(t)
	yes := true
	filters := []qp.CallFilter{{}, {Model: "rare"}, {Model: "rare", Status: qp.StatusError}, {Status: qp.StatusError}, {Account: "a@x"},
		{Model: "rare", Account: "a@x", Status: qp.StatusError}, {Model: "rare", Stream: &yes},
		{Range: qp.TimeRange{Start: time.UnixMilli(27_000_000), End: time.UnixMilli(30_000_600)}},
		{Range: qp.TimeRange{Start: time.UnixMilli(29_990_000)}}, {Range: qp.TimeRange{Start: time.UnixMilli(1_000_000), End: time.UnixMilli(5_000_000)}},
		{Model: "qwen3-max", Range: qp.TimeRange{Start: time.UnixMilli(4_000_000)}}, {Range: qp.TimeRange{Start: time.UnixMilli(4_000_000)}},
		{Status: qp.StatusError, Range: qp.TimeRange{Start: time.UnixMilli(1_000_000)}}}
	for _, f := range filters {
		for _, sort := range []string{"duration_ms", "total_tokens"} {
			for _, asc := range []bool{false, true} {
				col := sortColumnOf(t, sort)
				want := naiveResponseIDs(t, db, f, col, asc)
				o := qp.ListOptions{Limit: 50, Sort: sort, Asc: asc}
				first := responsePageIDs(t, db, f, o)
				// The rows are written without rollups, from which a range's
				// total is summed: TestListTotalsUnderATimeRangeAreTheCountsOfTheirRows
				// checks those totals on written calls.
				total := first.total == len(want) || f.Range != (qp.TimeRange{})
				if !slices.Equal(first.ids, want[:min(50, len(want))]) || !total {
					t.Errorf("%+v by %s asc=%v: first page %v (total %d), want %v (total %d)", f, sort, asc, first.ids, first.total, want[:min(50, len(want))], len(want))
					continue
				}
				if len(want) <= 50 {
					continue
				}
				o.After = first.next
				second := responsePageIDs(t, db, f, o)
				if !slices.Equal(second.ids, want[50:min(100, len(want))]) {
					t.Errorf("%+v by %s asc=%v: page after the cursor %v, want %v", f, sort, asc, second.ids, want[50:min(100, len(want))])
				}
				o.After, o.Before = nil, second.prev
				back := responsePageIDs(t, db, f, o)
				if !slices.Equal(back.ids, want[:50]) {
					t.Errorf("%+v by %s asc=%v: page before the cursor %v, want %v", f, sort, asc, back.ids, want[:50])
				}
				o.Before, o.Offset = nil, 7
				offset := responsePageIDs(t, db, f, o)
				if !slices.Equal(offset.ids, want[7:min(57, len(want))]) {
					t.Errorf("%+v by %s asc=%v: page at offset 7 %v, want %v", f, sort, asc, offset.ids, want[7:min(57, len(want))])
				}
			}
		}
	}
}

type idPage struct {
	ids        []int64
	total      int
	next, prev *qp.Cursor
}

// responsePageIDs reads a page as ListResponses does, on db.
func responsePageIDs(t *testing.T, db *sql.DB, f qp.CallFilter, o qp.ListOptions) idPage {
	t.Helper()
	ctx := context.Background()
	q, err := responsePage(ctx, db, "sqlite", f, o)
	if err != nil {
		t.Fatal(err)
	}
	res, err := run(ctx, db, q, o, func(rows *sql.Rows) (int64, qp.Cursor, error) {
		var cur qp.Cursor
		var b [2]storedBody
		rec, err := scanResponse(rows, append(append(b[0].dest(), b[1].dest()...), &cur.Value)...)
		if err != nil {
			return 0, cur, err
		}
		cur.ID = rec.ID
		return rec.ID, cur, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return idPage{res.Items, res.Total, res.Next, res.Prev}
}

// naiveResponseIDs is every response matching f in the order of col, id.
func naiveResponseIDs(t *testing.T, db *sql.DB, f qp.CallFilter, col string, asc bool) []int64 {
	t.Helper()
	var w where
	callFilter(&w, f, "r.", "r.timestamp")
	dir := "DESC"
	if asc {
		dir = "ASC"
	}
	rows, err := db.Query(fmt.Sprintf("SELECT r.id FROM responses r%s ORDER BY %s %s, r.id %s", w.sql(), col, dir, dir), w.args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}
