package sqlstore_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
)

// BenchmarkYearReads measures every kind of read the history API, the CLI
// and the dashboard make, on BenchmarkYear's million calls: each list's
// first page under each filter the API accepts (alone and in the pairs an
// operator combines) and each sort, its total apart (the count is the same
// whatever the sort), single rows, and statistics. Targets (PRODUCT.md §6):
// pages and single rows under 10 ms, statistics under 100 ms.
//
//	QWENPROXY_BENCH_YEAR_DB=/tmp/year.db go test -run '^$' -bench YearReads -benchtime 3x -timeout 60m ./internal/store/sqlstore
func BenchmarkYearReads(b *testing.B) {
	st := yearDB(b)
	ctx := context.Background()
	var session string
	var reqID, respID int64
	if err := st.DB().QueryRow(`SELECT session_id, id FROM requests WHERE session_id IS NOT NULL ORDER BY id DESC LIMIT 1`).Scan(&session, &reqID); err != nil {
		b.Fatal(err)
	}
	// The id written into the query: the database's own placeholders differ (PostgreSQL's are $1).
	if err := st.DB().QueryRow(fmt.Sprint(`SELECT id FROM responses WHERE request_id = `, reqID)).Scan(&respID); err != nil {
		b.Fatal(err)
	}
	end := yearStart.Add(365 * 24 * time.Hour)
	yes := true
	filters := yearFilters(session, end, &yes)
	for _, f := range filters {
		b.Run("count/requests/"+f.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := st.ListRequests(ctx, f.f, qp.ListOptions{Limit: 50}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("count/responses/"+f.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := st.ListResponses(ctx, f.f, qp.ListOptions{Limit: 50}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	_, requestSorts, responseSorts := sqlstore.SortFields()
	for _, f := range filters {
		for _, sort := range requestSorts {
			for _, asc := range []bool{false, true} {
				b.Run(fmt.Sprintf("page/requests/%s/%s-asc=%v", f.name, sort, asc), func(b *testing.B) {
					for b.Loop() {
						if _, err := st.ListRequests(ctx, f.f, qp.ListOptions{Limit: 50, Sort: sort, Asc: asc, NoTotal: true}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
		for _, sort := range responseSorts {
			for _, asc := range []bool{false, true} {
				b.Run(fmt.Sprintf("page/responses/%s/%s-asc=%v", f.name, sort, asc), func(b *testing.B) {
					for b.Loop() {
						if _, err := st.ListResponses(ctx, f.f, qp.ListOptions{Limit: 50, Sort: sort, Asc: asc, NoTotal: true}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
	sessionSorts, _, _ := sqlstore.SortFields()
	for _, f := range []struct {
		name string
		f    qp.SessionFilter
	}{{"none", qp.SessionFilter{}}, {"model", qp.SessionFilter{Model: "qwen3-max"}}, {"rare-model", qp.SessionFilter{Model: "qwen-deep-research"}},
		{"account", qp.SessionFilter{Account: "bob@example.com"}}, {"model+account", qp.SessionFilter{Model: "qwen3-max", Account: "bob@example.com"}},
		{"search", qp.SessionFilter{Search: "module 4999 "}}, {"last-day", qp.SessionFilter{Range: qp.TimeRange{Start: end.Add(-24 * time.Hour)}}}} {
		for _, sort := range sessionSorts {
			for _, total := range []bool{false, true} {
				b.Run(fmt.Sprintf("page/sessions/%s/%s-total=%v", f.name, sort, total), func(b *testing.B) {
					for b.Loop() {
						if _, err := st.ListSessions(ctx, f.f, qp.ListOptions{Limit: 50, Sort: sort, NoTotal: !total}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
	rows := []struct {
		name string
		fn   func() error
	}{
		{"request-by-id", func() error { _, err := st.Request(ctx, strconv.FormatInt(reqID, 10)); return err }},
		{"response-by-id", func() error { _, err := st.Response(ctx, strconv.FormatInt(respID, 10)); return err }},
		{"session", func() error { _, err := st.SessionRecord(ctx, session); return err }},
	}
	for _, r := range rows {
		b.Run("row/"+r.name, func(b *testing.B) {
			for b.Loop() {
				if err := r.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, c := range []struct {
		name string
		q    qp.StatsQuery
	}{
		{"all-time", qp.StatsQuery{}},
		{"all-time-by-day", qp.StatsQuery{Bucket: "day"}},
		{"all-time-by-hour", qp.StatsQuery{Bucket: "hour"}},
		{"all-time-model", qp.StatsQuery{Model: "qwen3-max"}},
		{"all-time-account", qp.StatsQuery{Account: "bob@example.com"}},
		{"all-time-model+account-by-day", qp.StatsQuery{Model: "qwen3-max", Account: "bob@example.com", Bucket: "day"}},
		{"session", qp.StatsQuery{SessionID: session}},
		{"90-days-unaligned-by-day", qp.StatsQuery{Range: qp.TimeRange{Start: end.Add(-90*24*time.Hour + 17*time.Minute), End: end.Add(-3 * time.Hour)}, Bucket: "day"}},
		{"week-by-hour", qp.StatsQuery{Range: qp.TimeRange{Start: end.Add(-7*24*time.Hour + 17*time.Minute), End: end.Add(-3 * time.Minute)}, Bucket: "hour"}},
		{"last-day-unaligned", qp.StatsQuery{Range: qp.TimeRange{Start: end.Add(-24*time.Hour + 17*time.Minute), End: end.Add(-3 * time.Minute)}}},
	} {
		b.Run("stats/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := st.Stats(ctx, c.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type namedFilter struct {
	name string
	f    qp.CallFilter
}

// yearFilters are the call filters the API accepts, alone and paired, with
// values of BenchmarkYear's history: its busiest and rarest models, a model
// asked for by a mapped name, one account of six.
func yearFilters(session string, end time.Time, yes *bool) []namedFilter {
	return []namedFilter{
		{"none", qp.CallFilter{}},
		{"session", qp.CallFilter{SessionID: session}},
		{"model", qp.CallFilter{Model: "qwen3-max"}},
		{"rare-model", qp.CallFilter{Model: "qwen-deep-research"}},
		{"mapped-model", qp.CallFilter{Model: "gpt-4o"}},
		{"account", qp.CallFilter{Account: "bob@example.com"}},
		{"stream", qp.CallFilter{Stream: yes}},
		{"status-error", qp.CallFilter{Status: qp.StatusError}},
		{"status-success", qp.CallFilter{Status: qp.StatusSuccess}},
		{"finish", qp.CallFilter{FinishReason: "tool_calls"}},
		{"last-day", qp.CallFilter{Range: qp.TimeRange{Start: end.Add(-24 * time.Hour)}}},
		{"90-days", qp.CallFilter{Range: qp.TimeRange{Start: end.Add(-90 * 24 * time.Hour)}}},
		{"model+error", qp.CallFilter{Model: "qwen3-max", Status: qp.StatusError}},
		{"rare-model+error", qp.CallFilter{Model: "qwen-deep-research", Status: qp.StatusError}},
		{"model+account", qp.CallFilter{Model: "qwen3-max", Account: "bob@example.com"}},
		{"account+error", qp.CallFilter{Account: "bob@example.com", Status: qp.StatusError}},
		{"stream+error", qp.CallFilter{Stream: yes, Status: qp.StatusError}},
		{"rare-model+finish", qp.CallFilter{Model: "qwen-deep-research", FinishReason: "length"}},
		{"error+last-day", qp.CallFilter{Status: qp.StatusError, Range: qp.TimeRange{Start: end.Add(-24 * time.Hour)}}},
		{"model+90-days", qp.CallFilter{Model: "qwen3-max", Range: qp.TimeRange{Start: end.Add(-90 * 24 * time.Hour)}}},
	}
}
