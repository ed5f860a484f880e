package sqlstore_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// The history filtered by why a failed call ended (its error_type) is the
// calls that ended so, alone or with the other filters, in every order the
// lists sort by, paged, with totals that count them, in the export too; and
// statistics count the failed calls by their error type, most first, under
// the statistics' own filters.
func TestHistoryFiltersAndCountsByErrorType(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		start := time.Date(2026, 4, 9, 22, 40, 0, 0, time.UTC)
		sessions, calls := mixedCalls("e", 150, start, 41*time.Minute)
		types := []string{qp.ErrorTypeUpstreamTimeout, qp.ErrorTypeRateLimited, qp.ErrorTypeUpstreamTimeout, qp.ErrorTypeStreamCut}
		failed := 0
		for i := range calls {
			if calls[i].Response.Status == qp.StatusError {
				calls[i].Response.ErrorType, calls[i].Response.ErrorMessage = types[failed%len(types)], "why"
				failed++
			}
		}
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions, Exchanges: calls}); err != nil {
			t.Fatal(err)
		}
		matches := func(c qp.Exchange, f qp.CallFilter, at time.Time) bool {
			rq, rs := c.Request, c.Response
			return rs.ErrorType == f.ErrorType && (f.Model == "" || rq.Model == f.Model) && (f.Account == "" || rq.Account == f.Account) &&
				(f.Status == "" || rs.Status == f.Status) && (f.SessionID == "" || rq.SessionID == f.SessionID) &&
				(f.Range.Start.IsZero() || !at.Before(f.Range.Start)) && (f.Range.End.IsZero() || at.Before(f.Range.End))
		}
		mid := qp.TimeRange{Start: start.Add(26*time.Hour + 7*time.Minute), End: start.Add(80 * time.Hour)}
		var filters []qp.CallFilter
		for _, e := range []string{qp.ErrorTypeUpstreamTimeout, qp.ErrorTypeStreamCut, qp.ErrorTypeInternal} {
			filters = append(filters, qp.CallFilter{ErrorType: e}, qp.CallFilter{ErrorType: e, Model: "qwen3-max"},
				qp.CallFilter{ErrorType: e, Account: "a@example.com"}, qp.CallFilter{ErrorType: e, Status: qp.StatusSuccess},
				qp.CallFilter{ErrorType: e, SessionID: "e14"}, qp.CallFilter{ErrorType: e, Range: mid})
		}
		for _, f := range filters {
			var wantReq, wantResp []string
			for _, c := range calls {
				if matches(c, f, c.Request.Timestamp) {
					wantReq = append(wantReq, c.Request.RequestID)
				}
				if matches(c, f, c.Response.Timestamp) { // the response list's range is the responses' time
					wantResp = append(wantResp, c.Request.RequestID)
				}
			}
			if f == (qp.CallFilter{ErrorType: qp.ErrorTypeUpstreamTimeout}) && len(wantReq) < 5 {
				t.Fatalf("the calls hold %d upstream timeouts: too few to page", len(wantReq))
			}
			for _, sort := range []string{"", "id"} {
				var got []string
				o := qp.ListOptions{Limit: 3, Sort: sort}
				for page := 0; ; page++ {
					res, err := st.ListRequests(ctx, f, o)
					if err != nil {
						t.Fatal(err)
					}
					if page == 0 && res.Total != len(wantReq) {
						t.Errorf("requests %+v: total %d, want %d", f, res.Total, len(wantReq))
					}
					for _, r := range res.Items {
						got = append(got, r.RequestID)
						if r.Response == nil || r.Response.ErrorType != f.ErrorType {
							t.Errorf("requests %+v: %s ended otherwise: %+v", f, r.RequestID, r.Response)
						}
					}
					if !res.HasMore {
						break
					}
					o.After = res.Next
				}
				if slices.Sort(got); !slices.Equal(got, sorted(wantReq)) {
					t.Errorf("requests %+v sorted by %q: %v, want %v", f, sort, got, sorted(wantReq))
				}
			}
			for _, sort := range []string{"", "duration_ms", "total_tokens"} {
				var got []string
				o := qp.ListOptions{Limit: 3, Sort: sort}
				for page := 0; ; page++ {
					res, err := st.ListResponses(ctx, f, o)
					if err != nil {
						t.Fatal(err)
					}
					if page == 0 && res.Total != len(wantResp) {
						t.Errorf("responses %+v: total %d, want %d", f, res.Total, len(wantResp))
					}
					for _, r := range res.Items {
						got = append(got, r.RequestUUID)
					}
					if !res.HasMore {
						break
					}
					o.After = res.Next
				}
				if slices.Sort(got); !slices.Equal(got, sorted(wantResp)) {
					t.Errorf("responses %+v sorted by %q: %v, want %v", f, sort, got, sorted(wantResp))
				}
			}
			var exported []string
			if err := st.Export(ctx, f, false, func(r *qp.RequestRecord) error {
				exported = append(exported, r.RequestID)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if slices.Sort(exported); !slices.Equal(exported, sorted(wantReq)) {
				t.Errorf("export %+v: %v, want %v", f, exported, sorted(wantReq))
			}
		}
		for _, q := range []qp.StatsQuery{{}, {Model: "qwq-32b"}, {Account: "b@example.com"}, {Range: mid}, {SessionID: "e14"}, {Model: "no-such-model"}} {
			got, err := st.Stats(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int64{}
			for _, c := range calls {
				f := qp.CallFilter{ErrorType: c.Response.ErrorType, Model: q.Model, Account: q.Account, SessionID: q.SessionID, Range: q.Range}
				if c.Response.ErrorType != "" && matches(c, f, c.Response.Timestamp) {
					counts[c.Response.ErrorType]++
				}
			}
			want := []qp.ErrorTypeCount{}
			for e, n := range counts {
				want = append(want, qp.ErrorTypeCount{ErrorType: e, Calls: n})
			}
			slices.SortFunc(want, func(a, b qp.ErrorTypeCount) int {
				if a.Calls != b.Calls {
					return int(b.Calls - a.Calls)
				}
				return strings.Compare(a.ErrorType, b.ErrorType)
			})
			var sum int64
			for _, c := range got.ByErrorType {
				sum += c.Calls
			}
			if !slices.Equal(got.ByErrorType, want) || sum != got.Totals.Errors {
				t.Errorf("stats %+v: by error type %v (%d), want %v; %d errors", q, got.ByErrorType, sum, want, got.Totals.Errors)
			}
			if got.ByErrorType == nil {
				t.Errorf("stats %+v: by error type nil, want a list", q)
			}
		}
	})
}
