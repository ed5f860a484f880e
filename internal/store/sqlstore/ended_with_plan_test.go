package sqlstore

import (
	"context"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
)

// The request list under an error type many calls ended with walks the
// requests' time index and tests each id against the failed calls' index,
// on SQLite: it looked every such call's request row up and sorted them
// (7,500 of a million: 70-100 ms a page). An error type of few calls keeps
// the lookups.
func TestACommonErrorTypesRequestsWalkTheTimeIndex(t *testing.T) {
	t.Parallel() // tens of thousands of rows seeded
	ctx := context.Background()
	db := sqliteWithSchema(t)
	// 20,000 calls, one in fifty rate limited and ten internal errors.
	if _, err := db.ExecContext(ctx, `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 20000)
		INSERT INTO requests (id, request_id, timestamp, method, path, model, stream, created_at, status, account)
		SELECT n, 'req-' || n, n * 1000, 'POST', '/v1/chat/completions', 'qwen3-max', 0, n * 1000,
			CASE WHEN n % 50 = 0 OR n % 2000 = 7 THEN 'error' ELSE 'success' END, 'a@x' FROM seq`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO responses (id, request_id, response_id, timestamp, model, stream, status, http_status,
		total_tokens, duration_ms, duration_us, created_at, account, error_type)
		SELECT id, id, 'resp-' || id, timestamp + 500, model, 0, status, 200, 10, 0, 1000, created_at, account,
			CASE WHEN id % 50 = 0 THEN 'rate_limited' WHEN id % 2000 = 7 THEN 'internal_error' END FROM requests`); err != nil {
		t.Fatal(err)
	}
	countAsMigrated(t, db)
	day := qp.TimeRange{Start: time.UnixMilli(5_000_000), End: time.UnixMilli(15_000_000)}
	for _, c := range []struct {
		f    qp.CallFilter
		walk bool
	}{
		{qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited}, true},
		{qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited, Range: day}, true},
		{qp.CallFilter{ErrorType: qp.ErrorTypeInternal}, false},
	} {
		for _, o := range []qp.ListOptions{{Limit: 50}, {Limit: 50, Asc: true}, {Limit: 50, After: &qp.Cursor{Value: 9_000_000, ID: 9000}}} {
			q, err := requestPage(ctx, db, "sqlite", c.f, o)
			if err != nil {
				t.Fatal(err)
			}
			query, args := choosingQuery(q, o)
			plan := explainSQLite(t, db, query, args)
			walks := strings.Contains(plan, "USING COVERING INDEX idx_requests_timestamp") && !strings.Contains(plan, "TEMP B-TREE") &&
				strings.Contains(plan, "COVERING INDEX idx_responses_error_type")
			if walks != c.walk {
				t.Errorf("%+v (asc %v, cursor %v): want the walk %v\n%s\nis planned as\n%s", c.f, o.Asc, o.After != nil, c.walk, query, plan)
			}
		}
	}
}

// The request list's total under an error type, alone or with an account or
// a key, counts the failed calls' index alone: counted from the requests, it
// read each request of the type (88-165 ms for 7,500 of a million calls), or
// every request where the page walks them.
func TestAnErrorTypesRequestTotalCountsTheFailedCallsIndex(t *testing.T) {
	ctx := context.Background()
	db := sqliteWithSchema(t)
	for _, f := range []qp.CallFilter{{ErrorType: qp.ErrorTypeRateLimited}, {ErrorType: qp.ErrorTypeRateLimited, Account: "a@x"},
		{ErrorType: qp.ErrorTypeRateLimited, APIKeyID: "key-1", Account: "a@x"}} {
		q, err := requestPage(ctx, db, "sqlite", f, qp.ListOptions{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		count, args := q.fastCount, q.fastArgs
		if count == "" { // what the list would count by (see run)
			count, args = q.countFrom+q.where.sql(), q.where.args
		}
		plan := explainSQLite(t, db, count, args)
		if strings.Contains(count, "requests") || plan != "SEARCH responses USING COVERING INDEX idx_responses_error_type (error_type=?)" {
			t.Errorf("%+v: the total is counted by\n%s\nplanned as\n%s", f, count, plan)
		}
	}
}
