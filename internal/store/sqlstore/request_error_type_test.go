package sqlstore_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// callsOfEveryErrorType records 320 calls a quarter of an hour apart, every
// fifth failed with each error type in turn, and one that succeeded with an
// error type (a stream the client left after its answer), in three batches
// (the last written twice, as a spool replays one); it returns the calls.
func callsOfEveryErrorType(t *testing.T, st *sqlstore.Store, start time.Time) []qp.Exchange {
	t.Helper()
	ctx := context.Background()
	sessions, calls := mixedCalls("et", 320, start, 15*time.Minute)
	failed := 0
	for i := range calls {
		calls[i].Request.APIKeyID = []string{"", "key-1", "key-2"}[i%3]
		calls[i].Request.Stream = i%2 == 0
		if i%5 == 0 {
			calls[i].Response.Status, calls[i].Response.HTTPStatus = qp.StatusError, 502
			calls[i].Response.ErrorType, calls[i].Response.ErrorMessage = qp.ErrorTypes[failed%len(qp.ErrorTypes)], "why"
			failed++
		} else {
			calls[i].Response.Status, calls[i].Response.HTTPStatus = qp.StatusSuccess, 200
		}
	}
	calls[7].Response.ErrorType = qp.ErrorTypeClientDisconnect
	for _, part := range [][2]int{{0, 100}, {100, 250}, {250, 320}, {250, 320}} {
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions[part[0]:part[1]], Exchanges: calls[part[0]:part[1]]}); err != nil {
			t.Fatal(err)
		}
	}
	return calls
}

// errorTypeFilters are the request list's filters under each error type
// (and one no call ended with): alone, with each other filter, and over
// ranges whose ends fall on a failed call's start, between a failed call's
// start and its end, and open at either side.
func errorTypeFilters(calls []qp.Exchange) []qp.CallFilter {
	var failed []qp.Exchange
	for _, c := range calls {
		if c.Response.ErrorType != "" {
			failed = append(failed, c)
		}
	}
	at := func(i int) time.Time { return failed[i].Request.Timestamp }
	ranges := []qp.TimeRange{
		{Start: at(3), End: at(40)},
		{Start: at(3).Add(time.Millisecond), End: at(40).Add(time.Millisecond)},
		{Start: failed[10].Response.Timestamp, End: failed[50].Request.Timestamp.Add(time.Millisecond)},
		{Start: at(20)},
		{End: at(20)},
		{Start: at(5), End: at(5)},
		{Start: at(5), End: at(5).Add(time.Millisecond)},
	}
	yes := true
	var out []qp.CallFilter
	for _, e := range append(slices.Clone(qp.ErrorTypes), "no_such_type") {
		out = append(out, qp.CallFilter{ErrorType: e}, qp.CallFilter{ErrorType: e, Model: "qwq-32b"},
			qp.CallFilter{ErrorType: e, ResponseModel: "qwen3-max"}, qp.CallFilter{ErrorType: e, Account: "b@example.com"},
			qp.CallFilter{ErrorType: e, APIKeyID: "key-1"}, qp.CallFilter{ErrorType: e, Status: qp.StatusError},
			qp.CallFilter{ErrorType: e, Status: qp.StatusSuccess}, qp.CallFilter{ErrorType: e, Stream: &yes},
			qp.CallFilter{ErrorType: e, SessionID: "et40"}, qp.CallFilter{ErrorType: e, FinishReason: "stop"},
			qp.CallFilter{ErrorType: e, Account: "a@example.com", APIKeyID: "key-2", Range: ranges[0]})
		for _, r := range ranges {
			out = append(out, qp.CallFilter{ErrorType: e, Range: r}, qp.CallFilter{ErrorType: e, Account: "a@example.com", Range: r},
				qp.CallFilter{ErrorType: e, Model: "qwen3-max", Range: r}, qp.CallFilter{ErrorType: e, APIKeyID: "key-1", Range: r})
		}
	}
	return out
}

// pagesOf pages the request list under f with list, by o's order, 4 a page,
// and returns each page's ids and the first page's total.
func pagesOf(t *testing.T, list func(qp.CallFilter, qp.ListOptions) (*qp.ListResult[qp.RequestRecord], error),
	f qp.CallFilter, o qp.ListOptions) (pages [][]string, total int) {
	t.Helper()
	o.Limit = 4
	for {
		res, err := list(f, o)
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		if pages == nil {
			total = res.Total
		}
		var ids []string
		for _, r := range res.Items {
			ids = append(ids, r.RequestID)
			if r.Response == nil || r.Response.ErrorType != f.ErrorType {
				t.Errorf("%+v: %s ended otherwise: %+v", f, r.RequestID, r.Response)
			}
		}
		pages = append(pages, ids)
		if !res.HasMore {
			return pages, total
		}
		o.After = res.Next
	}
}

// sameListsAsByTheResponses checks that the request list finds, under every
// filter of every error type, in each order, page by page, the same calls
// and total by the requests' own error type (migration 0039) as by the ids
// of the responses that ended so (how it was read before), and as many as
// the recorded calls hold.
func sameListsAsByTheResponses(t *testing.T, st *sqlstore.Store, calls []qp.Exchange, when string) {
	t.Helper()
	ctx := context.Background()
	var mismatched int
	if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM requests q LEFT JOIN responses r ON r.request_id = q.id
		WHERE COALESCE(q.error_type, '') <> COALESCE(r.error_type, '')`).Scan(&mismatched); err != nil {
		t.Fatal(err)
	}
	if mismatched != 0 {
		t.Errorf("%s: %d requests hold another error type than their response", when, mismatched)
	}
	listed := 0
	for _, f := range errorTypeFilters(calls) {
		for _, o := range []qp.ListOptions{{}, {Asc: true}, {Sort: "id"}, {Sort: "id", Asc: true}} {
			got, total := pagesOf(t, func(f qp.CallFilter, o qp.ListOptions) (*qp.ListResult[qp.RequestRecord], error) {
				return st.ListRequests(ctx, f, o)
			}, f, o)
			want, wantTotal := pagesOf(t, func(f qp.CallFilter, o qp.ListOptions) (*qp.ListResult[qp.RequestRecord], error) {
				return sqlstore.ListRequestsByTheResponses(ctx, st, f, o)
			}, f, o)
			if !slices.EqualFunc(got, want, slices.Equal) || total != wantTotal {
				t.Errorf("%s: requests %+v sorted by %q (asc %v): %v (total %d), by the responses %v (total %d)",
					when, f, o.Sort, o.Asc, got, total, want, wantTotal)
			}
			listed += total
		}
	}
	if listed == 0 {
		t.Fatalf("%s: no filter listed a call", when)
	}
}

// The request list under an error type reads the request's own error type
// (migration 0039) where it tested each request's id against the responses
// that ended so: the calls it finds, page by page in every order, and its
// totals do not change, under every error type and filter, over ranges whose
// ends fall on a call's start; nor after a session is deleted, retention
// deletes the oldest calls, or the history is copied to the other backend.
func TestARequestsErrorTypeListsTheSameCallsAsItsResponse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		start := time.Date(2026, 4, 9, 22, 40, 0, 0, time.UTC)
		calls := callsOfEveryErrorType(t, st, start)
		sameListsAsByTheResponses(t, st, calls, "recorded")

		other := "postgres"
		if st.Backend() == "postgres" {
			other = "sqlite"
		}
		copied := storetest.Open(t, storetest.URL(t, other))
		if _, err := sqlstore.Copy(ctx, st, copied, func(sqlstore.CopyProgress) {}); err != nil {
			t.Fatal(err)
		}
		sameListsAsByTheResponses(t, copied, calls, "copied to "+other)

		if err := st.DeleteSession(ctx, "et40"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DeleteRequestsBefore(ctx, start.Add(24*time.Hour), 7, nil); err != nil {
			t.Fatal(err)
		}
		sameListsAsByTheResponses(t, st, calls, "after deletes")
	})
}

// Migration 0039 gives the requests recorded before it their response's
// error type: a history recorded without the column lists the same calls
// after it as before.
func TestMigration0039GivesEveryRequestItsResponsesErrorType(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		calls := callsOfEveryErrorType(t, st, time.Date(2026, 4, 9, 22, 40, 0, 0, time.UTC))
		for _, stmt := range []string{`DROP INDEX idx_requests_error_type`, `ALTER TABLE requests DROP COLUMN error_type`,
			`DELETE FROM schema_migrations WHERE version = 39`} {
			if _, err := st.DB().ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if n, err := st.Migrate(ctx); err != nil || n != 1 {
			t.Fatalf("migrated %d, %v; want migration 0039 applied", n, err)
		}
		sameListsAsByTheResponses(t, st, calls, "migrated")
	})
}

// The request list under an error type, alone or with an account, a model
// or a key, over any time range, is a range of the failed requests' index
// by error type and time (migration 0039), its page in the page's order and
// its total counted in the index alone: the total over a range counted the
// range's requests one by one, each tested against the failed calls' ids
// (10-33 ms a day at a million calls), and the page on PostgreSQL walked the
// time index with each entry tested against their hash (13-20 ms at load).
func TestAnErrorTypesRequestListIsARangeOfOneIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		start := time.Date(2026, 4, 9, 22, 40, 0, 0, time.UTC)
		sessions, calls := mixedCalls("w", 700, start, 3*time.Minute) // every seventh failed: rate limited, but one
		for i := range calls {
			calls[i].Request.APIKeyID = []string{"key-1", "key-2"}[i%2]
			if calls[i].Response.Status == qp.StatusError {
				calls[i].Response.ErrorType, calls[i].Response.ErrorMessage = qp.ErrorTypeRateLimited, "why"
			}
		}
		calls[3].Response.Status, calls[3].Response.HTTPStatus = qp.StatusError, 500
		calls[3].Response.ErrorType, calls[3].Response.ErrorMessage = qp.ErrorTypeInternal, "why"
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions, Exchanges: calls}); err != nil {
			t.Fatal(err)
		}
		if st.Backend() == "postgres" {
			if _, err := st.DB().ExecContext(ctx, `VACUUM ANALYZE requests`); err != nil {
				t.Fatal(err)
			}
		}
		day := qp.TimeRange{Start: start.Add(5 * time.Hour), End: start.Add(29 * time.Hour)}
		filters := []qp.CallFilter{{ErrorType: qp.ErrorTypeRateLimited}, {ErrorType: qp.ErrorTypeRateLimited, Range: day},
			{ErrorType: qp.ErrorTypeRateLimited, Range: qp.TimeRange{Start: day.Start}}, {ErrorType: qp.ErrorTypeInternal, Range: day},
			{ErrorType: qp.ErrorTypeRateLimited, Account: "a@example.com"}, {ErrorType: qp.ErrorTypeRateLimited, Account: "a@example.com", Range: day},
			{ErrorType: qp.ErrorTypeRateLimited, APIKeyID: "key-1", Range: day}, {ErrorType: qp.ErrorTypeRateLimited, Model: "qwen3-max", Range: day}}
		if st.Backend() == "sqlite" {
			// SQLite, which keeps no statistics, read a status's or a
			// finish reason's index (under success: every call that
			// succeeded); PostgreSQL weighs them by its own.
			filters = append(filters, qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited, Status: qp.StatusSuccess},
				qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited, Status: qp.StatusError, Range: day},
				qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited, FinishReason: "stop"})
		}
		for _, f := range filters {
			count, args, err := sqlstore.RequestCountQuery(ctx, st, f)
			if err != nil {
				t.Fatal(err)
			}
			plan := explain(ctx, t, st.DB(), st.Backend(), inline(st.Backend(), count, args))
			// A status or a finish reason is not in the index: each of the
			// range's entries is read for it.
			covered := f.Status == "" && f.FinishReason == ""
			if !oneRangeOf(st.Backend(), plan, "idx_requests_error_type", covered) {
				t.Errorf("%+v: want the total counted in a range of idx_requests_error_type alone\n%s\nis planned as\n%s", f, count, plan)
			}
			for _, o := range []qp.ListOptions{{Limit: 50}, {Limit: 50, Asc: true},
				{Limit: 50, After: &qp.Cursor{Value: start.Add(20 * time.Hour).UnixMilli(), ID: 400}}} {
				query, args, err := sqlstore.RequestPageQuery(ctx, st, f, o)
				if err != nil {
					t.Fatal(err)
				}
				plan := explain(ctx, t, st.DB(), st.Backend(), inline(st.Backend(), query, args))
				if !oneRangeOf(st.Backend(), plan, "idx_requests_error_type", false) {
					t.Errorf("%+v (asc %v, cursor %v): want the page a range of idx_requests_error_type in its order\n%s\nis planned as\n%s",
						f, o.Asc, o.After != nil, query, plan)
				}
			}
		}
	})
}

// oneRangeOf reports whether plan reads the requests by one range of
// index, in the order it asks for, and nothing else but, on PostgreSQL,
// where a page reads its rows with their joins, each request's response by
// its request id; counted, the index alone (on SQLite: covering).
func oneRangeOf(backend, plan, index string, counted bool) bool {
	lines := strings.Split(plan, "\n")
	if backend == "sqlite" {
		return len(lines) == 1 && (strings.HasPrefix(lines[0], "SEARCH q USING COVERING INDEX "+index+" ") ||
			!counted && strings.HasPrefix(lines[0], "SEARCH q USING INDEX "+index+" "))
	}
	for _, bad := range []string{"Sort", "Gather", "Parallel", "SubPlan", "Hash", "Bitmap", "Seq Scan"} {
		if strings.Contains(plan, bad) {
			return false
		}
	}
	reads := strings.Count(plan, " on ")
	if !counted && strings.Contains(plan, "Nested Loop Left Join") && strings.Contains(plan, " using responses_request_id_key on responses r") {
		reads--
	}
	return reads == 1 && strings.Contains(plan, " using "+index+" on requests q")
}
