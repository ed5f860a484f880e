package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// keyedCallsEvery are keyedCalls made step apart from start: a step of
// minutes puts several of a key's calls in an hour.
func keyedCallsEvery(prefix string, n int, start time.Time, step time.Duration) ([]qp.Session, []qp.Exchange) {
	sessions, calls := keyedCalls(prefix, n, start)
	for i := range calls {
		rq, rs := &calls[i].Request, &calls[i].Response
		shift := start.Add(time.Duration(i) * step).Sub(rq.Timestamp)
		rq.Timestamp, rs.Timestamp = rq.Timestamp.Add(shift), rs.Timestamp.Add(shift)
		if !rs.FirstTokenAt.IsZero() {
			rs.FirstTokenAt = rs.FirstTokenAt.Add(shift)
		}
	}
	return sessions, calls
}

// A list's total under an API key, alone or with a model, an account, a
// status and a time range, is the number of its rows that match: the
// response list's summed from the rollups per key (0026), the request
// list's from request_key_days and request_key_hours (0027), the partial
// hours at a range's ends from the rows; over all time, ranges that start
// and end mid-hour, whole days, whole hours across a day's end, open at
// either end and within one hour; after writes in several batches, after
// deletes (a session, retention), and in a database migration 0027 counts
// from its rows. Deletes leave no row at zero, and calls made without a key
// have no rows.
func TestKeyListTotalsAreTheCountsOfTheirRows(t *testing.T) {
	t.Parallel() // thousands of calls written: among the longest tests of the package
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		start := time.Date(2026, 1, 27, 22, 30, 0, 0, time.UTC)
		sessions, calls := keyedCalls("k", 400, start) // some 90 days
		denseStart := time.Date(2026, 2, 10, 1, 3, 0, 0, time.UTC)
		s2, c2 := keyedCallsEvery("d", 160, denseStart, 11*time.Minute) // some 29 hours
		sessions, calls = append(sessions, s2...), append(calls, c2...)
		for _, part := range [][2]int{{0, 150}, {150, 330}, {330, 560}} {
			if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions[part[0]:part[1]], Exchanges: calls[part[0]:part[1]]}); err != nil {
				t.Fatal(err)
			}
		}
		day := func(y, m, d, h, min int) time.Time { return time.Date(y, time.Month(m), d, h, min, 0, 0, time.UTC) }
		ranges := []qp.TimeRange{
			{},
			{Start: start.Add(9*24*time.Hour + 17*time.Minute), End: start.Add(80*24*time.Hour + 41*time.Minute)},
			{Start: start.Add(9*24*time.Hour + 17*time.Minute)},
			{End: start.Add(33*24*time.Hour + 5*time.Minute)},
			{Start: day(2026, 2, 1, 0, 0), End: day(2026, 3, 1, 0, 0)},
			{Start: day(2026, 2, 10, 0, 0), End: day(2026, 2, 11, 0, 0)},
			{Start: day(2026, 2, 10, 19, 0), End: day(2026, 2, 11, 3, 0)},
			{Start: day(2026, 2, 10, 1, 50), End: day(2026, 2, 11, 5, 20)},
			{Start: day(2026, 2, 10, 3, 10), End: day(2026, 2, 10, 3, 50)},
			{Start: day(2026, 2, 10, 23, 7), End: day(2026, 2, 12, 0, 0)},
		}
		filters := []qp.CallFilter{{}, {Model: "qwen3-max"}, {Account: "a@example.com"}, {Status: qp.StatusError},
			{Status: qp.StatusSuccess, Model: "qwq-32b", Account: "b@example.com"}}
		check := func(when string) {
			t.Helper()
			var stray int
			if err := st.DB().QueryRow(`SELECT (SELECT COUNT(*) FROM request_key_hours WHERE calls <= 0 OR api_key_id = '') +
				(SELECT COUNT(*) FROM request_key_days WHERE calls <= 0 OR api_key_id = '')`).Scan(&stray); err != nil {
				t.Fatal(err)
			}
			if stray != 0 {
				t.Errorf("%s: %d rows of requests by key at zero or without a key", when, stray)
			}
			for _, key := range []string{"key-1a2b3c4d", "env-0", "key-unknown"} {
				for _, f := range filters {
					for _, r := range ranges {
						f.APIKeyID, f.Range = key, r
						rq, err := st.ListRequests(ctx, f, qp.ListOptions{Limit: 1})
						if err != nil {
							t.Fatal(err)
						}
						rs, err := st.ListResponses(ctx, f, qp.ListOptions{Limit: 1})
						if err != nil {
							t.Fatal(err)
						}
						for _, l := range []struct {
							table string
							total int
						}{{"requests", rq.Total}, {"responses", rs.Total}} {
							if want := countKeyRows(t, st, l.table, f); l.total != want {
								t.Errorf("%s: %s %+v: total %d, %d rows match", when, l.table, f, l.total, want)
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
		if err := st.DeleteSession(ctx, "d41"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DeleteRequestsBefore(ctx, start.Add(20*24*time.Hour+10*time.Minute), 7, nil); err != nil {
			t.Fatal(err)
		}
		check("after deletes")
		migration, err := os.ReadFile(fmt.Sprintf("../%s/migrations/0027_request_key_counts.sql", st.Backend()))
		if err != nil {
			t.Fatal(err)
		}
		_, fill, found := strings.Cut(string(migration), "\nINSERT")
		if !found {
			t.Fatal("migration 0027 fills no table")
		}
		for _, table := range []string{"request_key_hours", "request_key_days"} {
			if _, err := st.DB().Exec(`DELETE FROM ` + table); err != nil {
				t.Fatal(err)
			}
		}
		for stmt := range strings.SplitSeq("INSERT"+fill, ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := st.DB().Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}
		check("counted by the migration")
	})
}

// countKeyRows counts table's rows matching f's key, model, account, status
// and time range, one by one (the test's own values, written into the
// query: the database's own placeholders differ).
func countKeyRows(t *testing.T, st *sqlstore.Store, table string, f qp.CallFilter) int {
	t.Helper()
	q := fmt.Sprintf(`SELECT COUNT(*) FROM %s WHERE api_key_id = '%s'`, table, f.APIKeyID)
	for _, c := range []struct{ col, v string }{{"model", f.Model}, {"status", f.Status}} {
		if c.v != "" {
			q += fmt.Sprintf(" AND %s = '%s'", c.col, c.v)
		}
	}
	if f.Account != "" {
		q += fmt.Sprintf(" AND account = '%s'", f.Account)
	}
	if !f.Range.Start.IsZero() {
		q += fmt.Sprint(" AND timestamp >= ", f.Range.Start.UnixMilli())
	}
	if !f.Range.End.IsZero() {
		q += fmt.Sprint(" AND timestamp < ", f.Range.End.UnixMilli())
	}
	var n int
	if err := st.DB().QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A list's total under an API key over whole hours (or all time) is read
// from the counts, not from the key's rows: moved to another key underneath
// the store (which no write or delete of the store does), the rows change
// neither list's total under the key. Counted from the key's index, the
// total took 8-90 ms for the key of half of a million calls.
func TestKeyListTotalsReadTheCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		start := time.Date(2026, 1, 27, 22, 30, 0, 0, time.UTC)
		sessions, calls := keyedCalls("r", 120, start)
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions, Exchanges: calls}); err != nil {
			t.Fatal(err)
		}
		const key = "env-0"
		// written is how many calls of the key matching f were written.
		written := func(f qp.CallFilter) int {
			n := 0
			for _, c := range calls {
				rq, rs := c.Request, c.Response
				if rq.APIKeyID == key && (f.Status == "" || rs.Status == f.Status) && (f.Model == "" || rq.Model == f.Model) &&
					(f.Account == "" || rq.Account == f.Account) {
					n++
				}
			}
			return n
		}
		for _, table := range []string{"requests", "responses"} {
			if _, err := st.DB().Exec(`UPDATE ` + table + ` SET api_key_id = 'key-moved' WHERE api_key_id = 'env-0'`); err != nil {
				t.Fatal(err)
			}
		}
		whole := qp.TimeRange{Start: time.Date(2026, 1, 27, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
		for _, f := range []qp.CallFilter{{APIKeyID: key}, {APIKeyID: key, Range: whole}, {APIKeyID: key, Status: qp.StatusError, Range: whole},
			{APIKeyID: key, Model: "qwen3-max", Account: "a@example.com"}} {
			want := written(f)
			rq, err := st.ListRequests(ctx, f, qp.ListOptions{Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			rs, err := st.ListResponses(ctx, f, qp.ListOptions{Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if rq.Total != want || rs.Total != want {
				t.Errorf("%+v: totals %d requests, %d responses; the counts hold %d (the rows were moved underneath)", f, rq.Total, rs.Total, want)
			}
		}
	})
}
