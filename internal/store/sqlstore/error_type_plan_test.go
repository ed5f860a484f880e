package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// Statistics count the failed calls of their range by error type as a range
// of the partial index of failed calls for each error type, under a model,
// an account or a key too (the index holds them: no row is read), and a
// session's from the session's index.
// Grouped in one scan, SQLite read every call of each range by its time
// index (the Overview's windows: a week's load took 374 ms at a million
// calls) and, under a model, every call of the model (0.2-0.3 s).
func TestStatsCountErrorTypesByTheFailedCallsIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		day := qp.TimeRange{Start: time.Date(2026, 11, 3, 10, 17, 0, 0, time.UTC), End: time.Date(2026, 11, 4, 10, 17, 0, 0, time.UTC)}
		for _, c := range []struct {
			q     qp.StatsQuery
			index string
		}{
			{qp.StatsQuery{Range: day}, "idx_responses_error_type"},
			{qp.StatsQuery{}, "idx_responses_error_type"},
			{qp.StatsQuery{Model: "qwen3-max", Range: day}, "idx_responses_error_type"},
			{qp.StatsQuery{Model: "qwen3-max"}, "idx_responses_error_type"},
			{qp.StatsQuery{Account: "a@example.com", Range: day}, "idx_responses_error_type"},
			{qp.StatsQuery{APIKeyID: "key-1", Model: "qwen3-max", Range: day}, "idx_responses_error_type"},
			{qp.StatsQuery{SessionID: "s1"}, "idx_responses_session"},
		} {
			query, args := sqlstore.ErrorTypeCountQuery(st, c.q)
			plan := explain(ctx, t, st.DB(), st.Backend(), inline(st.Backend(), query, args))
			others := []string{"idx_responses_model", "idx_responses_account", "idx_responses_api_key", "idx_responses_timestamp"}
			if c.index == "idx_responses_error_type" && st.Backend() == "sqlite" &&
				!strings.Contains(plan, "COVERING INDEX idx_responses_error_type (error_type=?"+map[bool]string{true: ")", false: " AND timestamp>? AND timestamp<?)"}[c.q.Range.Start.IsZero()]) {
				t.Errorf("%+v: the count is no range of the failed calls' index alone:\n%s\nis planned as\n%s", c.q, query, plan)
			}
			if !strings.Contains(plan, c.index) || strings.Contains(plan, "SCAN e") || strings.Contains(plan, "Seq Scan") || containsAny(plan, others) {
				t.Errorf("%+v: want %s alone\n%s\nis planned as\n%s", c.q, c.index, query, plan)
			}
		}
	})
}

// inline writes args into query as literals, in the backend's form: a plan
// is explained without arguments.
func inline(backend, query string, args []any) string {
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r != '?' {
			b.WriteRune(r)
			continue
		}
		switch v := args[n].(type) {
		case string:
			b.WriteString("'" + strings.ReplaceAll(v, "'", "''") + "'")
		default:
			b.WriteString(fmt.Sprint(v))
		}
		n++
	}
	return b.String()
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
