package sqlstore_test

import (
	"context"
	"testing"
	"time"

	qp "qwenproxy"
)

// BenchmarkDashboard measures, on the same million-call history as
// BenchmarkHistory, what each dashboard page and each history API list,
// read and statistics endpoint asks the store, a case per page load (the
// queries the page's JavaScript makes, one after another):
//
//   - Overview: the range's totals and its aligned windows, one statistics
//     query each (each with its by_error_type count);
//   - Conversations: the list under each filter and order it offers, and a
//     conversation's page (its row, its statistics, its first transcript
//     page with bodies, whether it has calls);
//   - Calls: the list under each filter it offers (error_type included),
//     a call's page (the call with its bodies and response) and the two
//     counts of delete-before's question;
//   - Live: one poll (the calls ended in the last five minutes, newest
//     first);
//   - what the history API answers and the dashboard does not ask: the
//     lists under an error type with their totals, the response list under
//     one (and a day, an account, sorted by duration), and /v1/stats under
//     a model, an account, a range and by bucket.
//
// "now" is mid-history (~1,400 calls an hour).
//
//	go test -run '^$' -bench Dashboard -benchtime 20x ./internal/store/sqlstore
func BenchmarkDashboard(b *testing.B) {
	st := benchDB(b)
	ctx := context.Background()
	now := benchStart.Add(20*24*time.Hour + 37*time.Minute) // "now", mid-history
	day := qp.TimeRange{Start: now.Add(-24 * time.Hour), End: now}
	stats := func(q qp.StatsQuery) {
		if s, err := st.Stats(ctx, q); err != nil || s.Totals.Requests == 0 {
			b.Fatal(err, q)
		}
	}
	overview := func(start time.Time, step time.Duration) func() {
		return func() {
			stats(qp.StatsQuery{Range: qp.TimeRange{Start: start, End: now}})
			for t := start.Truncate(step); t.Before(now); t = t.Add(step) {
				if _, err := st.Stats(ctx, qp.StatsQuery{Range: qp.TimeRange{Start: maxTime(t, start), End: minTime(t.Add(step), now)}}); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	sessions := func(f qp.SessionFilter, sort string) func() {
		return func() {
			if res, err := st.ListSessions(ctx, f, qp.ListOptions{Limit: 50, Sort: sort, NoTotal: true}); err != nil || len(res.Items) == 0 {
				b.Fatal(err, f, sort)
			}
		}
	}
	calls := func(f qp.CallFilter) func() {
		return func() {
			if res, err := st.ListRequests(ctx, f, qp.ListOptions{Limit: 50, NoTotal: true}); err != nil || len(res.Items) == 0 {
				b.Fatal(err, f)
			}
		}
	}
	responses := func(f qp.CallFilter, sort string, total bool) func() {
		return func() {
			if res, err := st.ListResponses(ctx, f, qp.ListOptions{Limit: 50, Sort: sort, NoTotal: !total}); err != nil || len(res.Items) == 0 {
				b.Fatal(err, f)
			}
		}
	}
	const session = "bench-04999"
	yes := true
	cases := []struct {
		name string
		fn   func()
	}{
		{"overview/hour-13-windows", overview(now.Add(-time.Hour), 5*time.Minute)},
		{"overview/day-25-windows", overview(now.Add(-24*time.Hour), time.Hour)},
		{"overview/week-29-windows", overview(now.Add(-7*24*time.Hour), 6*time.Hour)},
		{"overview/custom-20-days-22-windows", overview(benchStart.Add(-time.Hour), 24*time.Hour)},

		{"conversations/first-page", sessions(qp.SessionFilter{}, "")},
		{"conversations/by-last-used", sessions(qp.SessionFilter{}, "last_accessed")},
		{"conversations/by-turns", sessions(qp.SessionFilter{}, "message_count")},
		{"conversations/model", sessions(qp.SessionFilter{Model: "qwen3-vl-plus"}, "")},
		{"conversations/account", sessions(qp.SessionFilter{Account: benchAccounts[1]}, "")},
		{"conversations/model-account-by-last-used", sessions(qp.SessionFilter{Model: "qwen3-vl-plus", Account: benchAccounts[1]}, "last_accessed")},
		{"conversations/last-day", sessions(qp.SessionFilter{Range: day}, "")},
		{"conversations/search", sessions(qp.SessionFilter{Search: "module 4999"}, "")},
		{"conversations/search-every-session", sessions(qp.SessionFilter{Search: "Billing"}, "")},
		{"conversations/search-every-session-by-last-used", sessions(qp.SessionFilter{Search: "Billing"}, "last_accessed")},
		{"conversations/search-1111-sessions", sessions(qp.SessionFilter{Search: "module 12"}, "")},
		{"conversations/search-short", sessions(qp.SessionFilter{Search: "49"}, "")},
		{"conversation/page", func() {
			if _, err := st.SessionRecord(ctx, session); err != nil {
				b.Fatal(err)
			}
			if s, err := st.Stats(ctx, qp.StatsQuery{SessionID: session}); err != nil || s.Totals.Requests != 20 {
				b.Fatal(err)
			}
			if res, err := st.ListRequests(ctx, qp.CallFilter{SessionID: session}, qp.ListOptions{Limit: 50, Asc: true, Bodies: true, NoTotal: true}); err != nil || len(res.Items) != 20 {
				b.Fatal(err)
			}
			calls(qp.CallFilter{SessionID: session})()
		}},

		{"calls/first-page", calls(qp.CallFilter{})},
		{"calls/model", calls(qp.CallFilter{Model: "qwen3-vl-plus"})},
		{"calls/answered-by", calls(qp.CallFilter{ResponseModel: "qwen3-vl-plus"})},
		{"calls/account", calls(qp.CallFilter{Account: benchAccounts[1]})},
		{"calls/errors", calls(qp.CallFilter{Status: qp.StatusError})},
		{"calls/errors-last-day", calls(qp.CallFilter{Status: qp.StatusError, Range: day})},
		{"calls/error-type", calls(qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited})},
		{"calls/error-type-last-day", calls(qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited, Range: day})},
		{"calls/error-type-model", calls(qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited, Model: "qwen3-vl-plus"})},
		{"calls/error-type-account", calls(qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited, Account: benchAccounts[1]})},
		{"calls/model-errors-stream", calls(qp.CallFilter{Model: "qwen3-vl-plus", Status: qp.StatusError, Stream: &yes})},
		{"calls/finish-reason", calls(qp.CallFilter{FinishReason: "stop"})},
		{"calls/session", calls(qp.CallFilter{SessionID: session})},
		{"calls/last-day", calls(qp.CallFilter{Range: day})},
		{"call/page", func() {
			rec, err := st.Request(ctx, "500000")
			if err != nil || rec.Response == nil {
				b.Fatal(err)
			}
		}},
		{"calls/delete-before-counts", func() {
			for _, r := range []qp.TimeRange{{End: now.Add(-7 * 24 * time.Hour)}, {}} {
				if res, err := st.ListRequests(ctx, qp.CallFilter{Range: r}, qp.ListOptions{Limit: 1}); err != nil || res.Total <= 0 {
					b.Fatal(err)
				}
			}
		}},

		{"live/poll", func() {
			if res, err := st.ListResponses(ctx, qp.CallFilter{Range: qp.TimeRange{Start: now.Add(-5*time.Minute - 10*time.Second)}}, qp.ListOptions{Limit: 200, NoTotal: true}); err != nil || len(res.Items) == 0 {
				b.Fatal(err)
			}
		}},

		{"api/requests-error-type-total", func() {
			if res, err := st.ListRequests(ctx, qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited}, qp.ListOptions{Limit: 50}); err != nil || res.Total <= 0 {
				b.Fatal(err)
			}
		}},
		{"api/requests-error-type-last-day-total", func() {
			if res, err := st.ListRequests(ctx, qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited, Range: day}, qp.ListOptions{Limit: 50}); err != nil || res.Total <= 0 {
				b.Fatal(err)
			}
		}},
		{"api/requests-error-type-account-total", func() {
			if res, err := st.ListRequests(ctx, qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited, Account: benchAccounts[1]}, qp.ListOptions{Limit: 50}); err != nil || res.Total <= 0 {
				b.Fatal(err)
			}
		}},
		{"api/responses-error-type-total", responses(qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited}, "", true)},
		{"api/responses-error-type-last-day", responses(qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited, Range: day}, "", false)},
		{"api/responses-error-type-account", responses(qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited, Account: benchAccounts[1]}, "", false)},
		{"api/responses-error-type-by-duration", responses(qp.CallFilter{ErrorType: qp.ErrorTypeRateLimited}, "duration_ms", false)},

		{"stats/all-time", func() { stats(qp.StatsQuery{}) }},
		{"stats/model", func() { stats(qp.StatsQuery{Model: "qwen3-vl-plus"}) }},
		{"stats/account", func() { stats(qp.StatsQuery{Account: benchAccounts[1]}) }},
		{"stats/model-account", func() { stats(qp.StatsQuery{Model: "qwen3-vl-plus", Account: benchAccounts[1]}) }},
		{"stats/model-last-day-by-hour", func() { stats(qp.StatsQuery{Model: "qwen3-vl-plus", Range: day, Bucket: "hour"}) }},
		{"stats/last-day-by-hour", func() { stats(qp.StatsQuery{Range: day, Bucket: "hour"}) }},
		{"stats/session", func() { stats(qp.StatsQuery{SessionID: session}) }},
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
