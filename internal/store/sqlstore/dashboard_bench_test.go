package sqlstore_test

import (
	"context"
	"testing"
	"time"

	qp "qwenproxy"
)

// BenchmarkDashboard measures, on the same million-call history as
// BenchmarkHistory, what each dashboard page asks the store: the overview's
// totals and its aligned windows (one statistics query each), the lists'
// keyset pages without counts, a conversation's transcript page (bodies
// included) and one poll of the live view.
//
//	go test -run '^$' -bench Dashboard -benchtime 20x ./internal/store/sqlstore
func BenchmarkDashboard(b *testing.B) {
	st := benchDB(b)
	ctx := context.Background()
	now := benchStart.Add(20*24*time.Hour + 37*time.Minute) // "now", mid-history
	overview := func(span, step time.Duration) func() {
		return func() {
			start := now.Add(-span)
			total, err := st.Stats(ctx, qp.StatsQuery{Range: qp.TimeRange{Start: start, End: now}})
			if err != nil || total.Totals.Requests == 0 {
				b.Fatal(err)
			}
			for t := start.Truncate(step); t.Before(now); t = t.Add(step) {
				if _, err := st.Stats(ctx, qp.StatsQuery{Range: qp.TimeRange{Start: maxTime(t, start), End: minTime(t.Add(step), now)}}); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	cases := []struct {
		name string
		fn   func()
	}{
		{"overview-hour-13-windows", overview(time.Hour, 5*time.Minute)},
		{"overview-day-25-windows", overview(24*time.Hour, time.Hour)},
		{"overview-week-29-windows", overview(7*24*time.Hour, 6*time.Hour)},
		{"conversations-search-page", func() {
			if res, err := st.ListSessions(ctx, qp.SessionFilter{Search: "module 4999"}, qp.ListOptions{Limit: 50, NoTotal: true}); err != nil || len(res.Items) == 0 {
				b.Fatal(err)
			}
		}},
		{"transcript-page-with-bodies", func() {
			if res, err := st.ListRequests(ctx, qp.CallFilter{SessionID: "bench-04999"}, qp.ListOptions{Limit: 50, Asc: true, Bodies: true, NoTotal: true}); err != nil || len(res.Items) != 20 {
				b.Fatal(err)
			}
		}},
		{"calls-filtered-page", func() {
			if _, err := st.ListRequests(ctx, qp.CallFilter{Status: qp.StatusError, Range: qp.TimeRange{Start: now.Add(-24 * time.Hour)}}, qp.ListOptions{Limit: 50, NoTotal: true}); err != nil {
				b.Fatal(err)
			}
		}},
		{"live-poll", func() {
			if _, err := st.ListResponses(ctx, qp.CallFilter{Range: qp.TimeRange{Start: now.Add(-10 * time.Second)}}, qp.ListOptions{Limit: 500, Asc: true, NoTotal: true}); err != nil {
				b.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.fn()
			}
		})
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
