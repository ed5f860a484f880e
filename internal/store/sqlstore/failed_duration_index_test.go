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

// failedCalls records 700 calls, every seventh failed: rate limited, but
// one internal error (a rare type).
func failedCalls(t *testing.T, st *sqlstore.Store) time.Time {
	t.Helper()
	start := time.Date(2026, 4, 9, 22, 40, 0, 0, time.UTC)
	sessions, calls := mixedCalls("w", 700, start, 3*time.Minute)
	for i := range calls {
		if calls[i].Response.Status == qp.StatusError {
			calls[i].Response.ErrorType, calls[i].Response.ErrorMessage = qp.ErrorTypeRateLimited, "why"
		}
	}
	calls[3].Response.Status, calls[3].Response.HTTPStatus = qp.StatusError, 500
	calls[3].Response.ErrorType, calls[3].Response.ErrorMessage = qp.ErrorTypeInternal, "why"
	if err := st.WriteBatch(context.Background(), qp.Batch{Sessions: sessions, Exchanges: calls}); err != nil {
		t.Fatal(err)
	}
	return start
}

// The response list under an error type sorted by duration is, on
// PostgreSQL, a range of the failed calls' index by error type and duration
// (migration 0037): PostgreSQL walked the duration index of every call,
// reading each row to test its error type (6,700 rows for a page of 50 of a
// million calls' 7,500 rate limited, 15-53 ms).
func TestAnErrorTypesResponsesByDurationReadTheFailedCallsIndexOnPostgreSQL(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, storetest.URL(t, "postgres"))
	failedCalls(t, st)
	for _, o := range []qp.ListOptions{{Limit: 50, Sort: "duration_ms"}, {Limit: 50, Sort: "duration_ms", Asc: true},
		{Limit: 50, Sort: "duration_ms", After: &qp.Cursor{Value: 9_000_000, ID: 400}}} {
		query, args, err := sqlstore.ResponsePageQuery(ctx, st, qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited}, o)
		if err != nil {
			t.Fatal(err)
		}
		plan := explain(ctx, t, st.DB(), st.Backend(), inline(st.Backend(), query, args))
		if !strings.Contains(plan, "idx_responses_error_type_duration") || containsAny(plan, []string{"TEMP B-TREE", "Sort"}) {
			t.Errorf("asc %v, cursor %v: want a range of idx_responses_error_type_duration\n%s\nis planned as\n%s", o.Asc, o.After != nil, query, plan)
		}
	}
}
