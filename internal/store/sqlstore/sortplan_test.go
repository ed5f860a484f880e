package sqlstore

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"

	_ "modernc.org/sqlite"
)

// A response list filtered by a column many responses share (an account,
// errors) and sorted by duration or tokens walks the sort's index and
// filters, on SQLite: it read the filter's index and sorted all its rows (a
// sixth of a million-call history for one of six accounts: 0.4-1.5 s a
// page). A filter few rows match (under denseRows) keeps its index, as
// walking the sort's would pass over most of the table.
func TestADenseFilterSortedByDurationWalksTheSortIndex(t *testing.T) {
	t.Parallel() // tens of thousands of rows seeded: among the longest tests of the package
	ctx := context.Background()
	db := sqliteWithSchema(t)
	// 90,000 responses over two accounts, a third of them failed, and 10
	// of a third account.
	if _, err := db.ExecContext(ctx, `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 90010)
		INSERT INTO requests (id, request_id, timestamp, method, path, model, stream, created_at, status, account)
		SELECT n, 'req-' || n, n * 1000, 'POST', '/v1/chat/completions', 'qwen3-max', 0, n * 1000,
			CASE WHEN n % 3 = 0 THEN 'error' ELSE 'success' END, CASE WHEN n > 90000 THEN 'c@x' WHEN n % 2 = 0 THEN 'a@x' ELSE 'b@x' END FROM seq`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO responses (id, request_id, response_id, timestamp, model, stream, status, http_status,
		total_tokens, duration_ms, duration_us, created_at, account)
		SELECT id, id, 'resp-' || id, timestamp + 500, model, 0, status, 200, id % 977, 0, (id * 7919) % 100000, created_at, account FROM requests`); err != nil {
		t.Fatal(err)
	}
	countAsMigrated(t, db)
	for _, c := range []struct {
		f     qp.CallFilter
		sort  string
		index string
	}{
		{qp.CallFilter{Account: "a@x"}, "duration_ms", "idx_responses_duration"},
		{qp.CallFilter{Status: qp.StatusError}, "total_tokens", "idx_responses_total_tokens"},
		{qp.CallFilter{Account: "c@x"}, "duration_ms", "idx_responses_account"},
		// Of several columns, the sort's index when they match many rows
		// together, else the index of the one that matches fewest.
		{qp.CallFilter{Account: "a@x", Status: qp.StatusSuccess}, "duration_ms", "idx_responses_duration"},
		{qp.CallFilter{Model: "qwen3-max", Status: qp.StatusError}, "total_tokens", "idx_responses_total_tokens"},
		{qp.CallFilter{Status: qp.StatusError, Account: "c@x"}, "duration_ms", "idx_responses_account"},
		{qp.CallFilter{Account: "c@x", Status: qp.StatusError}, "total_tokens", "idx_responses_account"},
	} {
		for _, o := range []qp.ListOptions{{Limit: 50, Sort: c.sort}, {Limit: 50, Sort: c.sort, After: &qp.Cursor{Value: 50000, ID: 30000}}} {
			q, err := responsePage(ctx, db, "sqlite", c.f, o)
			if err != nil {
				t.Fatal(err)
			}
			query, args := choosingQuery(q, o)
			plan := explainSQLite(t, db, query, args)
			uses := strings.Contains(plan+"\n", "INDEX "+c.index+" ") || strings.Contains(plan+"\n", "INDEX "+c.index+"\n")
			if !uses || (c.index != "idx_responses_account" && strings.Contains(plan, "TEMP B-TREE")) {
				t.Errorf("%+v sorted by %s (cursor %v): want %s\n%s\nis planned as\n%s", c.f, c.sort, o.After != nil, c.index, query, plan)
			}
		}
	}
}

// The request list sorted by id (the order calls were recorded) and filtered
// by a column many requests share walks the table in id order and filters,
// on SQLite: it read the filter's index and sorted all its rows (the calls of
// the busiest model of a million: 3.2-3.4 s a page).
func TestADenseFilterSortedByIDWalksTheTable(t *testing.T) {
	t.Parallel() // tens of thousands of rows seeded: among the longest tests of the package
	ctx := context.Background()
	db := sqliteWithSchema(t)
	if _, err := db.ExecContext(ctx, `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 60010)
		INSERT INTO requests (id, request_id, timestamp, method, path, model, stream, created_at, status, account)
		SELECT n, 'req-' || n, (n * 7919) % 100000, 'POST', '/v1/chat/completions', CASE WHEN n > 60000 THEN 'rare' ELSE 'qwen3-max' END,
			n % 2, n * 1000, CASE WHEN n % 3 = 0 THEN 'error' ELSE 'success' END, 'a@x' FROM seq`); err != nil {
		t.Fatal(err)
	}
	countAsMigrated(t, db)
	for _, c := range []struct {
		f     qp.CallFilter
		walks bool
	}{
		{qp.CallFilter{Model: "qwen3-max"}, true},
		{qp.CallFilter{Status: qp.StatusError}, true},
		{qp.CallFilter{Model: "rare"}, false},
	} {
		for _, o := range []qp.ListOptions{{Limit: 50, Sort: "id"}, {Limit: 50, Sort: "id", After: &qp.Cursor{Value: 30000, ID: 30000}}} {
			q, err := requestPage(ctx, db, "sqlite", c.f, o)
			if err != nil {
				t.Fatal(err)
			}
			query, args := choosingQuery(q, o)
			plan := explainSQLite(t, db, query, args)
			if sorts := strings.Contains(plan, "TEMP B-TREE"); sorts == c.walks {
				t.Errorf("%+v sorted by id (cursor %v): sorts %v\n%s\nis planned as\n%s", c.f, o.After != nil, sorts, query, plan)
			}
		}
	}
}

// choosingQuery is the statement of pageQuery that chooses the page's rows:
// with q.pageFrom, the one that chooses their ids, whose plan decides the
// page's cost (the rows then read are the page's alone).
func choosingQuery(q listQuery, o qp.ListOptions) (string, []any) {
	query, args := pageQuery(q, o)
	if q.pageFrom == "" {
		return query, args
	}
	query = strings.TrimPrefix(query, q.selectFrom+" WHERE "+q.idCol+" IN (")
	return query[:strings.LastIndex(query, ") ORDER BY ")], args
}

// countAsMigrated counts db's calls into call_counts as migration 0017 does.
func countAsMigrated(t *testing.T, db *sql.DB) {
	t.Helper()
	text, err := os.ReadFile("../sqlite/migrations/0017_call_counts.sql")
	if err != nil {
		t.Fatal(err)
	}
	_, inserts, _ := strings.Cut(string(text), ") WITHOUT ROWID;")
	if _, err := db.Exec(`DELETE FROM call_counts;` + inserts); err != nil {
		t.Fatal(err)
	}
}

// Requests of a time range few calls began in, sorted by id, are read by
// the range's index: SQLite walked the table in id order, from its first row
// for the oldest first (the last day of a million calls: 0.2-0.7 s a page).
func TestAShortRangeSortedByIDReadsTheRange(t *testing.T) {
	t.Parallel() // tens of thousands of rows seeded: among the longest tests of the package
	ctx := context.Background()
	db := sqliteWithSchema(t)
	if _, err := db.ExecContext(ctx, `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 60000)
		INSERT INTO requests (id, request_id, timestamp, method, path, model, stream, created_at, status, account)
		SELECT n, 'req-' || n, n * 1000, 'POST', '/v1/chat/completions', 'qwen3-max', 0, n * 1000, 'success', 'a@x' FROM seq`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r       qp.TimeRange
		byRange bool
	}{
		{qp.TimeRange{Start: time.UnixMilli(59_000_000)}, true},
		{qp.TimeRange{Start: time.UnixMilli(1_000_000), End: time.UnixMilli(2_000_000)}, true},
		{qp.TimeRange{Start: time.UnixMilli(1_000_000)}, false}, // 59,000 calls: the walk
	} {
		for _, o := range []qp.ListOptions{{Limit: 50, Sort: "id", Asc: true}, {Limit: 50, Sort: "id"}, {Limit: 50, Sort: "id", Asc: true, After: &qp.Cursor{Value: 1500, ID: 1500}}} {
			q, err := requestPage(ctx, db, "sqlite", qp.CallFilter{Range: c.r}, o)
			if err != nil {
				t.Fatal(err)
			}
			query, args := choosingQuery(q, o)
			plan := explainSQLite(t, db, query, args)
			if reads := strings.Contains(plan, "idx_requests_timestamp"); reads != c.byRange {
				t.Errorf("%v sorted by id (asc %v, cursor %v): reads the range's index %v\n%s\nis planned as\n%s", c.r, o.Asc, o.After != nil, reads, query, plan)
			}
		}
	}
}

// sqliteWithSchema is an empty SQLite database with every migration of the
// SQLite backend applied, in order.
func sqliteWithSchema(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	files, err := filepath.Glob("../sqlite/migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v %v", files, err)
	}
	slices.Sort(files)
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(text)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	return db
}

func explainSQLite(t *testing.T, db *sql.DB, query string, args []any) string {
	t.Helper()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}

// Every list total but a session's or a time range's is summed from
// call_counts rather than counted row by row: the request list filtered by
// model (the model asked for, which the rollups do not keep), stream or
// finish reason counted its rows, 0.3-0.6 s for a model's errors in a
// million calls.
func TestTotalsWithoutSessionOrRangeAreSummedFromCallCounts(t *testing.T) {
	yes := true
	for _, f := range []qp.CallFilter{{}, {Model: "qwen3-max"}, {Model: "qwen3-max", Status: qp.StatusError}, {Stream: &yes},
		{FinishReason: "stop", Account: "a@x"}, {Status: qp.StatusSuccess}} {
		rq, err := requestList(f, qp.ListOptions{}, "q.")
		if err != nil {
			t.Fatal(err)
		}
		rs, err := responseList(f, qp.ListOptions{}, "r.")
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []listQuery{rq, rs} {
			if !strings.Contains(q.fastCount, "call_counts") {
				t.Errorf("%+v: the total is counted by %q", f, q.countFrom+q.where.sql())
			}
		}
	}
}

// A page whose filter's rows SQLite sorts (a time range, a filter of few
// rows sorted by duration) chooses their ids from the list's table alone and
// joins the page's rows only: SQLite built every matching row's whole
// result, its request joined, before sorting (a day's 5,000 calls sorted by
// duration: 85 ms a page at a million calls).
func TestASortedPageJoinsOnlyItsRows(t *testing.T) {
	ctx := context.Background()
	db := sqliteWithSchema(t)
	r := qp.TimeRange{Start: time.UnixMilli(1000)}
	for _, c := range []struct {
		list string
		f    qp.CallFilter
		sort string
	}{{"responses", qp.CallFilter{Range: r}, "duration_ms"}, {"responses", qp.CallFilter{Model: "m", Status: qp.StatusError}, "total_tokens"},
		{"requests", qp.CallFilter{Range: r, Status: qp.StatusError}, "id"}} {
		page := requestPage
		if c.list == "responses" {
			page = responsePage
		}
		o := qp.ListOptions{Limit: 50, Sort: c.sort}
		q, err := page(ctx, db, "sqlite", c.f, o)
		if err != nil {
			t.Fatal(err)
		}
		query, args := choosingQuery(q, o)
		plan := explainSQLite(t, db, query, args)
		joined := map[string]string{"responses": "SEARCH q", "requests": "SEARCH r"}[c.list]
		if strings.Contains(plan, joined) {
			t.Errorf("%s %+v sorted by %s joins before choosing its page:\n%s\nis planned as\n%s", c.list, c.f, c.sort, query, plan)
		}
	}
}

// The response list's total under a time range of whole hours, alone or with
// a model, an account or a status, is summed from the rollups, which count
// responses by the hour, day and month they ended, plus the rows of the
// partial hours at its ends: counting 90 days' rows of a million calls took
// 13-81 ms. A filter the rollups do not keep (stream, finish reason, a
// session) or a range within one hour is counted from the rows.
func TestResponseTotalsUnderATimeRangeAreSummedFromTheRollups(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 17, 0, 0, time.UTC)
	long := qp.TimeRange{Start: at, End: at.Add(40*24*time.Hour + 3*time.Minute)}
	for _, f := range []qp.CallFilter{{Range: long}, {Range: qp.TimeRange{Start: at}}, {Range: qp.TimeRange{End: at}},
		{Range: long, Model: "qwen3-max"}, {Range: long, Account: "a@x", Status: qp.StatusError}, {Range: long, Status: qp.StatusSuccess}} {
		q, err := responseList(f, qp.ListOptions{}, "r.")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(q.fastCount, "stats_hourly") {
			t.Errorf("%+v: the total is counted by %q", f, q.countFrom+q.where.sql())
		}
	}
	yes := true
	for _, f := range []qp.CallFilter{{Range: long, Stream: &yes}, {Range: long, FinishReason: "stop"}, {Range: long, SessionID: "s"},
		{Range: qp.TimeRange{Start: at, End: at.Add(30 * time.Minute)}}} {
		q, err := responseList(f, qp.ListOptions{}, "r.")
		if err != nil {
			t.Fatal(err)
		}
		if q.fastCount != "" {
			t.Errorf("%+v: the total is summed by %q", f, q.fastCount)
		}
	}
}

// The request list's total under a time range alone is summed from
// request_hours, which counts requests by the hour they began, plus the
// rows of the partial hours at its ends: counting 90 days' rows of a
// million calls took 15-53 ms. Under a range and a model, from
// request_model_hours, the same by model: counting the busiest model's 90
// days took 7-15 ms on SQLite, 84-377 ms on PostgreSQL. Under any other
// filter too, or within one hour, it is counted from the rows (or from
// call_counts without a range).
func TestRequestTotalsUnderATimeRangeAreSummedByTheHour(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 17, 0, 0, time.UTC)
	long := qp.TimeRange{Start: at, End: at.Add(40*24*time.Hour + 3*time.Minute)}
	for _, r := range []qp.TimeRange{long, {Start: at}, {End: at}} {
		q, err := requestList(qp.CallFilter{Range: r}, qp.ListOptions{}, "q.")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(q.fastCount, "request_hours") {
			t.Errorf("%+v: the total is counted by %q", r, q.countFrom+q.where.sql())
		}
		q, err = requestList(qp.CallFilter{Range: r, Model: "qwen3-max"}, qp.ListOptions{}, "q.")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(q.fastCount, "request_model_hours") {
			t.Errorf("%+v with a model: the total is counted by %q", r, q.countFrom+q.where.sql())
		}
	}
	for _, f := range []qp.CallFilter{{Range: long, Account: "a@x"}, {Range: long, Model: "qwen3-max", Status: qp.StatusError}, {Range: long, SessionID: "s"},
		{Range: qp.TimeRange{Start: at, End: at.Add(30 * time.Minute)}}, {Range: qp.TimeRange{Start: at, End: at.Add(30 * time.Minute)}, Model: "qwen3-max"}} {
		q, err := requestList(f, qp.ListOptions{}, "q.")
		if err != nil {
			t.Fatal(err)
		}
		if q.fastCount != "" {
			t.Errorf("%+v: the total is summed by %q", f, q.fastCount)
		}
	}
}

// The session list filtered by a model many sessions have (a twentieth of
// them or more) and sorted by last access or message count walks the sort's
// index and filters, on SQLite: it read the model's index and sorted its
// sessions (the busiest model's 18,000 of 64,000: 36-39 ms a page, with an
// account too 20-36 ms). A model of few sessions keeps its index, and by
// creation time the model's index serves the order itself, and so does it
// under a search. The total counts the model's sessions by its index in
// every case.
func TestSessionsOfABusyModelSortedByLastAccessWalkTheSortIndex(t *testing.T) {
	t.Parallel() // tens of thousands of rows seeded: among the longest tests of the package
	ctx := context.Background()
	db := sqliteWithSchema(t)
	if _, err := db.ExecContext(ctx, `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 20010)
		INSERT INTO sessions (id, chat_id, model, first_user_message, message_count, created_at, last_accessed, expires_at, account)
		SELECT 's' || n, 'c' || n, CASE WHEN n > 20000 THEN 'rare' WHEN n % 4 = 0 THEN 'qwen3-max' ELSE 'other' END, 'hi', n % 97,
			n * 1000, (n * 7919) % 100000, n * 1000 + 3600000, CASE WHEN n % 2 = 0 THEN 'a@x' ELSE 'b@x' END FROM seq`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil { // as a long-lived database may have been
		t.Fatal(err)
	}
	for _, c := range []struct {
		f     qp.SessionFilter
		sort  string
		index string
	}{
		{qp.SessionFilter{Model: "qwen3-max"}, "last_accessed", "idx_sessions_last_accessed"},
		{qp.SessionFilter{Model: "qwen3-max"}, "message_count", "idx_sessions_message_count"},
		{qp.SessionFilter{Model: "qwen3-max", Account: "a@x"}, "last_accessed", "idx_sessions_last_accessed"},
		{qp.SessionFilter{Model: "rare"}, "last_accessed", "idx_sessions_model"},
		{qp.SessionFilter{Model: "qwen3-max"}, "created_at", "idx_sessions_model"},
	} {
		for _, o := range []qp.ListOptions{{Limit: 50, Sort: c.sort}, {Limit: 50, Sort: c.sort, After: &qp.Cursor{Value: 50000, ID: 3000}}} {
			q, err := sessionList(ctx, db, "sqlite", lowerSearch, c.f, o)
			if err != nil {
				t.Fatal(err)
			}
			query, args := pageQuery(q, o)
			plan := explainSQLite(t, db, query, args)
			uses := strings.Contains(plan+"\n", "INDEX "+c.index+" ") || strings.Contains(plan+"\n", "INDEX "+c.index+"\n")
			if !uses || (c.index != "idx_sessions_model" && strings.Contains(plan, "TEMP B-TREE")) {
				t.Errorf("%+v sorted by %s (cursor %v): want %s\n%s\nis planned as\n%s", c.f, c.sort, o.After != nil, c.index, query, plan)
			}
			// The total counts the model's sessions by its index all the same.
			count, args := q.countFrom+q.where.sql(), q.where.args
			if q.fastCount != "" {
				count, args = q.fastCount, q.fastArgs
			}
			if plan := explainSQLite(t, db, count, args); !strings.Contains(plan, "idx_sessions_model (model=?)") {
				t.Errorf("%+v: the total\n%s\nis planned as\n%s", c.f, count, plan)
			}
		}
	}
	// A search may match none of the model's sessions, and the walk would
	// then pass every session: the model's condition is left to SQLite.
	q, err := sessionList(ctx, db, "sqlite", lowerSearch, qp.SessionFilter{Model: "qwen3-max", Search: "nowhere"}, qp.ListOptions{Limit: 50, Sort: "last_accessed"})
	if err != nil {
		t.Fatal(err)
	}
	if q.where.conds[0] != "model = ?" {
		t.Errorf("a busy model's sessions under a search are read by %q", q.where.conds[0])
	}
}

// lowerSearch is the session search's condition by LowerContains alone.
func lowerSearch(_ context.Context, _ RowQuerier, search string) (string, []any, error) {
	cond, arg := LowerContains("first_user_message", search)
	return cond, []any{arg}, nil
}
