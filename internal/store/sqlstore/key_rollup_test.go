package sqlstore_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// keyedCalls are mixedCalls made with three keys and, every fourth, none
// (auth off), most with a time to first token, over some three months.
func keyedCalls(prefix string, n int, start time.Time) ([]qp.Session, []qp.Exchange) {
	sessions, calls := mixedCalls(prefix, n, start, 5*time.Hour+23*time.Minute)
	keys := []string{"key-1a2b3c4d", "env-0", "key-9f8e7d6c", ""}
	for i := range calls {
		sessions[i].APIKeyID, calls[i].Request.APIKeyID = keys[i%4], keys[i%4]
		if i%5 != 0 {
			calls[i].Response.FirstTokenAt = calls[i].Request.Timestamp.Add(time.Duration(40+17*i) * time.Millisecond)
		}
	}
	return sessions, calls
}

// The rollups per API key (migration 0026) answer a key's statistics as
// its rows do: the same totals, means and histogram percentiles, by model,
// by account and by hour or day, alone or under a model or an account,
// over all time and over ranges of partial hours, whole hours across a
// day's end, a whole day, a whole month and months from mid-month to
// mid-month; after writes in several batches, after deletes (a session,
// retention), and when a database recorded before them is migrated (built
// from the calls). The calls made without a key count in the statistics of
// every call and in no key's rollups.
func TestKeyStatisticsFromRollupsAgreeWithTheRows(t *testing.T) {
	t.Parallel() // thousands of calls written: among the longest tests of the package
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		start := time.Date(2026, 1, 27, 22, 30, 0, 0, time.UTC)
		sessions, calls := keyedCalls("k", 400, start)
		for _, part := range [][2]int{{0, 150}, {150, 290}, {290, 400}} {
			if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions[part[0]:part[1]], Exchanges: calls[part[0]:part[1]]}); err != nil {
				t.Fatal(err)
			}
		}
		ranges := []qp.TimeRange{
			{},
			{Start: start.Add(9*24*time.Hour + 17*time.Minute), End: start.Add(80*24*time.Hour + 41*time.Minute)},
			{Start: start.Add(9*24*time.Hour + 17*time.Minute)},
			{Start: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
			{Start: time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 2, 11, 0, 0, 0, 0, time.UTC)},
			{Start: time.Date(2026, 2, 10, 19, 0, 0, 0, time.UTC), End: time.Date(2026, 2, 12, 3, 0, 0, 0, time.UTC)},
			{Start: time.Date(2026, 2, 10, 2, 10, 0, 0, time.UTC), End: time.Date(2026, 2, 10, 2, 50, 0, 0, time.UTC)},
		}
		check := func(when string) {
			t.Helper()
			var unkeyed int
			if err := st.DB().QueryRow(`SELECT (SELECT COUNT(*) FROM stats_key_hourly WHERE api_key_id = '') +
				(SELECT COUNT(*) FROM stats_key_daily_totals WHERE api_key_id = '')`).Scan(&unkeyed); err != nil {
				t.Fatal(err)
			}
			if unkeyed != 0 {
				t.Errorf("%s: %d rollup rows per key for calls made without one", when, unkeyed)
			}
			for _, key := range []string{"key-1a2b3c4d", "env-0", "key-unknown", ""} {
				for _, f := range []qp.StatsQuery{{}, {Model: "qwq-32b"}, {Account: "b@example.com"}, {Model: "qwen3-max", Account: "a@example.com"}} {
					for _, r := range ranges {
						for _, bucket := range []string{"", "day", "hour"} {
							q := qp.StatsQuery{APIKeyID: key, Model: f.Model, Account: f.Account, Range: r, Bucket: bucket}
							got, err := st.Stats(ctx, q)
							if err != nil {
								t.Fatal(err)
							}
							want, err := sqlstore.StatsFromRows(ctx, st, q)
							if err != nil {
								t.Fatal(err)
							}
							if !reflect.DeepEqual(got, want) {
								t.Errorf("%s, %+v:\n got %+v\nrows %+v", when, q, got, want)
							}
						}
					}
				}
			}
		}
		check("written")
		if err := st.DeleteSession(ctx, "k33"); err != nil { // a call of env-0's
			t.Fatal(err)
		}
		if _, err := st.DeleteRequestsBefore(ctx, start.Add(20*24*time.Hour), 7, nil); err != nil {
			t.Fatal(err)
		}
		check("after deletes")
		for _, table := range []string{"stats_key_hourly", "stats_key_daily", "stats_key_monthly", "stats_key_hourly_totals", "stats_key_daily_totals"} {
			if _, err := st.DB().Exec(`DELETE FROM ` + table); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		check("built from the calls")
	})
}

// A key's statistics over whole hours are read from the rollups, as those
// of every call are, not from each of its calls: a token count changed in
// the rows underneath the store (which only a rebuild brings into the
// rollups) changes neither. Read from the rows, a busy key's 30 days took
// 0.3-2.6 s at a million calls.
func TestKeyStatisticsReadTheRollups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		start := time.Date(2026, 1, 27, 22, 30, 0, 0, time.UTC)
		sessions, calls := keyedCalls("r", 120, start)
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions, Exchanges: calls}); err != nil {
			t.Fatal(err)
		}
		const key = "env-0"
		var written, calledWith int64
		for _, c := range calls {
			if c.Request.APIKeyID == key {
				written += int64(c.Response.PromptTokens)
				calledWith++
			}
		}
		if _, err := st.DB().Exec(`UPDATE responses SET prompt_tokens = prompt_tokens + 1000000 WHERE api_key_id = 'env-0'`); err != nil {
			t.Fatal(err)
		}
		whole := qp.TimeRange{Start: time.Date(2026, 1, 27, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
		for _, r := range []qp.TimeRange{{}, whole} {
			for _, bucket := range []string{"", "day", "hour"} {
				got, err := st.Stats(ctx, qp.StatsQuery{APIKeyID: key, Range: r, Bucket: bucket})
				if err != nil {
					t.Fatal(err)
				}
				if got.Totals.Requests != calledWith || got.Totals.PromptTokens != written {
					t.Errorf("range %v, bucket %q: %d calls, %d prompt tokens; the rollups hold %d, %d (the rows were changed underneath)",
						r, bucket, got.Totals.Requests, got.Totals.PromptTokens, calledWith, written)
				}
			}
		}
		// The minutes at a range's ends are read from the rows.
		edge := qp.TimeRange{Start: calls[1].Response.Timestamp.Add(-time.Minute), End: calls[1].Response.Timestamp.Add(time.Minute)}
		got, err := st.Stats(ctx, qp.StatsQuery{APIKeyID: key, Range: edge})
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(calls[1].Response.PromptTokens) + 1000000; got.Totals.PromptTokens != want {
			t.Errorf("%v: %d prompt tokens, the row holds %d", edge, got.Totals.PromptTokens, want)
		}
	})
}
