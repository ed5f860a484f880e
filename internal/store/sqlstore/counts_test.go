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

// A list's total under any filter of model, account, status, stream and
// finish reason, alone or combined, is the number of its rows that match:
// after writes in several batches (a call written twice counts once), with
// a model asked for by another name than the one that answered, after a
// session's delete and retention's, and in a database migration 0017 counts
// from its rows. The totals come from call_counts, not from the rows (a
// model's errors in a million requests took 0.3-0.6 s to count). Under the
// model that answered (ResponseModel) the request list's total and its rows,
// paged by cursor, are its calls that model answered, whichever way SQLite
// reads them (see planAnsweredBy: a small page of a model of many calls
// walks the requests, a larger one reads the model's ids).
func TestListTotalsAreTheCountsOfTheirRows(t *testing.T) {
	t.Parallel() // thousands of calls written: among the longest tests of the package
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		start := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
		models, accounts := []string{"qwen3-max", "qwen3-coder-plus", "gpt-4o"}, []string{"a@example.com", "b@example.com", ""}
		finishes := []string{"stop", "tool_calls", "length", ""}
		var sessions []qp.Session
		var calls []qp.Exchange
		for i := range 90 {
			at := start.Add(time.Duration(i) * 37 * time.Minute)
			s, c := oneTurn(fmt.Sprint("c", i%30), at)
			c.Request.RequestID, c.Response.ResponseID = fmt.Sprint("req-c", i), fmt.Sprint("resp-c", i)
			s.Model, c.Request.Model, c.Request.Account = models[i%3], models[i%3], accounts[i%7%3]
			if c.Request.Model == "gpt-4o" {
				c.Response.Model = "qwen3-max" // MODEL_MAP: asked for one, answered by another
			}
			c.Request.Stream = i%4 == 0
			c.Response.FinishReason = finishes[i%5%4]
			if i%6 == 0 {
				c.Response.Status, c.Response.HTTPStatus, c.Response.FinishReason = qp.StatusError, 502, ""
			}
			sessions, calls = append(sessions, s), append(calls, c)
		}
		for _, part := range [][2]int{{0, 40}, {30, 70}, {70, 90}} { // 30-39 twice
			if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions[part[0]:part[1]], Exchanges: calls[part[0]:part[1]]}); err != nil {
				t.Fatal(err)
			}
		}
		yes, no := true, false
		var filters []qp.CallFilter
		for _, m := range []string{"", "qwen3-max", "gpt-4o"} {
			for _, rm := range []string{"", "qwen3-max", "qwen3-coder-plus"} {
				for _, a := range []string{"", "a@example.com"} {
					for _, s := range []string{"", qp.StatusSuccess, qp.StatusError} {
						for _, str := range []*bool{nil, &yes, &no} {
							for _, fr := range []string{"", "stop", "tool_calls"} {
								filters = append(filters, qp.CallFilter{Model: m, ResponseModel: rm, Account: a, Status: s, Stream: str, FinishReason: fr})
							}
						}
					}
				}
			}
		}
		check := func(when string) {
			t.Helper()
			requests, responses := callRows(t, st, "requests"), callRows(t, st, "responses")
			for _, f := range filters {
				rq, err := st.ListRequests(ctx, f, qp.ListOptions{Limit: 1})
				if err != nil {
					t.Fatal(err)
				}
				rs, err := st.ListResponses(ctx, f, qp.ListOptions{Limit: 1})
				if err != nil {
					t.Fatal(err)
				}
				if want := matching(requests, f); rq.Total != want {
					t.Errorf("%s: requests %+v: total %d, %d rows match", when, f, rq.Total, want)
				}
				if want := matching(responses, f); rs.Total != want {
					t.Errorf("%s: responses %+v: total %d, %d rows match", when, f, rs.Total, want)
				}
				if f.ResponseModel == "" {
					continue
				}
				for _, limit := range []int{4, 1000} {
					if got, want := pagedRequests(t, st, f, limit), matching(requests, f); got != want {
						t.Errorf("%s: requests %+v: %d rows by pages of %d, %d rows match", when, f, got, limit, want)
					}
				}
			}
		}
		check("written")
		if err := st.DeleteSession(ctx, "c7"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DeleteRequestsBefore(ctx, start.Add(20*time.Hour), 7, nil); err != nil {
			t.Fatal(err)
		}
		check("after deletes")
		migration, err := os.ReadFile(fmt.Sprintf("../%s/migrations/0017_call_counts.sql", st.Backend()))
		if err != nil {
			t.Fatal(err)
		}
		_, inserts, _ := strings.Cut(string(migration), ")"+map[string]string{"sqlite": " WITHOUT ROWID", "postgres": ""}[st.Backend()]+";")
		if _, err := st.DB().Exec(`DELETE FROM call_counts`); err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(inserts, ";") {
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

type callRow struct {
	model, answered, account, status, finish string
	stream                                   bool
}

// callRows reads the filtered columns of every row of table (answered: the
// model of the call's response, "" for a request without one).
func callRows(t *testing.T, st *sqlstore.Store, table string) []callRow {
	t.Helper()
	query := `SELECT model, model, COALESCE(account, ''), status, stream, COALESCE(finish_reason, '') FROM responses`
	if table == "requests" {
		query = `SELECT q.model, COALESCE(r.model, ''), COALESCE(q.account, ''), q.status, q.stream, COALESCE(q.finish_reason, '')
			FROM requests q LEFT JOIN responses r ON r.request_id = q.id`
	}
	rows, err := st.DB().Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []callRow
	for rows.Next() {
		var r callRow
		if err := rows.Scan(&r.model, &r.answered, &r.account, &r.status, &r.stream, &r.finish); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func matching(rows []callRow, f qp.CallFilter) int {
	n := 0
	for _, r := range rows {
		if (f.Model == "" || r.model == f.Model) && (f.ResponseModel == "" || r.answered == f.ResponseModel) &&
			(f.Account == "" || r.account == f.Account) && (f.Status == "" || r.status == f.Status) &&
			(f.Stream == nil || r.stream == *f.Stream) && (f.FinishReason == "" || r.finish == f.FinishReason) {
			n++
		}
	}
	return n
}

// pagedRequests is how many requests the pages of limit rows under f list,
// each once, followed by cursor.
func pagedRequests(t *testing.T, st *sqlstore.Store, f qp.CallFilter, limit int) int {
	t.Helper()
	seen := map[int64]bool{}
	o := qp.ListOptions{Limit: limit, NoTotal: true}
	for {
		page, err := st.ListRequests(context.Background(), f, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Items {
			if seen[r.ID] {
				t.Fatalf("%+v: request %d listed twice", f, r.ID)
			}
			seen[r.ID] = true
		}
		if !page.HasMore {
			return len(seen)
		}
		o.After = page.Next
	}
}

// A list's total under a time range, alone or with a model, an account or a
// status, is the number of its rows that match: the response list's is
// summed from the rollups over the range's whole hours plus its partial
// hours' rows, the request list's under a range alone from request_hours,
// under a range and a model from request_model_hours; over ranges that start
// and end mid-hour, on an hour, open at either end, within one hour, after
// writes, after deletes, and in a database migrations 0022 and 0023 count
// from its rows.
func TestListTotalsUnderATimeRangeAreTheCountsOfTheirRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		start := time.Date(2026, 1, 27, 22, 30, 0, 0, time.UTC)
		sessions, calls := mixedCalls("r", 120, start, 17*time.Hour+13*time.Minute) // some 85 days: four months
		for _, part := range [][2]int{{0, 50}, {50, 120}} {
			if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions[part[0]:part[1]], Exchanges: calls[part[0]:part[1]]}); err != nil {
				t.Fatal(err)
			}
		}
		var ranges []qp.TimeRange
		for _, r := range [][2]time.Duration{{0, 0}, {3*24*time.Hour + 17*time.Minute, 70*24*time.Hour + 41*time.Minute},
			{5 * 24 * time.Hour, 40 * 24 * time.Hour}, {17*time.Hour + 20*time.Minute, 0}, {0, 33*24*time.Hour + 5*time.Minute},
			{34*time.Hour + 29*time.Minute, 34*time.Hour + 59*time.Minute}} {
			var tr qp.TimeRange
			if r[0] != 0 {
				tr.Start = start.Add(r[0])
			}
			if r[1] != 0 {
				tr.End = start.Add(r[1])
			}
			ranges = append(ranges, tr)
		}
		check := func(when string) {
			t.Helper()
			for _, r := range ranges {
				for _, f := range []qp.CallFilter{{}, {Model: "qwen3-max"}, {Account: "a@example.com"}, {Status: qp.StatusError},
					{Status: qp.StatusSuccess, Model: "qwq-32b", Account: "b@example.com"}} {
					f.Range = r
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
						if want := countRows(t, st, l.table, f); l.total != want {
							t.Errorf("%s: %s %+v: total %d, %d rows match", when, l.table, f, l.total, want)
						}
					}
				}
			}
		}
		check("written")
		if err := st.DeleteSession(ctx, "r31"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DeleteRequestsBefore(ctx, start.Add(20*24*time.Hour+10*time.Minute), 7, nil); err != nil {
			t.Fatal(err)
		}
		check("after deletes")
		for _, m := range []struct{ file, table string }{{"0022_request_hours", "request_hours"}, {"0023_request_model_hours", "request_model_hours"}} {
			migration, err := os.ReadFile(fmt.Sprintf("../%s/migrations/%s.sql", st.Backend(), m.file))
			if err != nil {
				t.Fatal(err)
			}
			_, insert, _ := strings.Cut(string(migration), ")"+map[string]string{"sqlite": " WITHOUT ROWID", "postgres": ""}[st.Backend()]+";")
			if _, err := st.DB().Exec(`DELETE FROM ` + m.table); err != nil {
				t.Fatal(err)
			}
			if _, err := st.DB().Exec(insert); err != nil {
				t.Fatal(err)
			}
		}
		check("counted by the migrations")
	})
}

// countRows counts table's rows matching f's model, account, status and
// time range, one by one (the test's own values, written into the query:
// the database's own placeholders differ).
func countRows(t *testing.T, st *sqlstore.Store, table string, f qp.CallFilter) int {
	t.Helper()
	q := `SELECT COUNT(*) FROM ` + table + ` WHERE 1 = 1`
	for _, c := range []struct{ col, v string }{{"model", f.Model}, {"account", f.Account}, {"status", f.Status}} {
		if c.v != "" {
			q += fmt.Sprintf(" AND %s = '%s'", c.col, c.v)
		}
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
