package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// On PostgreSQL the request list under an error type many calls ended with
// chooses its page's ids by one walk of the index of its order (the time
// index, or a model's or an account's), each entry tested against the failed
// calls' request ids, read from their partial index once into a hash.
// PostgreSQL, left to choose, joined each request it walked to its response
// to read the error type, reading each request's row as it went, in two
// parallel workers: 51-240 ms a page at a million calls on a loaded
// machine, most of it the workers' start. An error type of few calls (under
// the other filters), or a status no failed call has, keeps PostgreSQL's own
// plan (from the failed calls' index).
func TestAnErrorTypesRequestPageWalksOneIndexOnPostgreSQL(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, storetest.URL(t, "postgres"))
	start := failedCalls(t, st)
	day := qp.TimeRange{Start: start.Add(5 * time.Hour), End: start.Add(29 * time.Hour)}
	for _, f := range []qp.CallFilter{{ErrorType: qp.ErrorTypeRateLimited}, {ErrorType: qp.ErrorTypeRateLimited, Range: day},
		{ErrorType: qp.ErrorTypeRateLimited, Model: "qwen3-max"}, {ErrorType: qp.ErrorTypeRateLimited, Account: "a@example.com"}} {
		for _, o := range []qp.ListOptions{{Limit: 50}, {Limit: 50, Asc: true}, {Limit: 50, Sort: "id"},
			{Limit: 50, After: &qp.Cursor{Value: start.Add(20 * time.Hour).UnixMilli(), ID: 400}}} {
			query, args, err := sqlstore.RequestPageQuery(ctx, st, f, o)
			if err != nil {
				t.Fatal(err)
			}
			plan := explain(ctx, t, st.DB(), st.Backend(), inline(st.Backend(), query, args))
			if !strings.Contains(plan, "hashed SubPlan") || !strings.Contains(plan, "on requests q") ||
				containsAny(plan, []string{"Join", "Nested Loop", "Sort", "Gather", "Parallel"}) {
				t.Errorf("%+v (asc %v, sort %q, cursor %v): want one walk of requests, tested against a hash\n%s\nis planned as\n%s",
					f, o.Asc, o.Sort, o.After != nil, query, plan)
			}
		}
	}
	for _, f := range []qp.CallFilter{{ErrorType: qp.ErrorTypeInternal}, {ErrorType: qp.ErrorTypeRateLimited, Status: qp.StatusSuccess},
		{ErrorType: qp.ErrorTypeRateLimited, Account: "nobody@example.com"}} {
		query, _, err := sqlstore.RequestPageQuery(ctx, st, f, qp.ListOptions{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(query, "IS TRUE") {
			t.Errorf("%+v: few calls or none, yet the requests are walked:\n%s", f, query)
		}
	}
}
