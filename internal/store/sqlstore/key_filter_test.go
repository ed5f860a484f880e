package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// The history filtered by the proxy API key that made each call (its id) is
// that key's calls, alone or with the other filters, in every order the
// lists sort by, paged by cursor, with totals that count them: the request
// list, the response list (each response keeps its request's key, and
// migration 0025 copied it into those recorded before), the session list
// (by the key that opened each session), statistics (from the rollups per
// key, migration 0026: see key_rollup_test.go) and exports.
func TestHistoryFiltersByAPIKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		start := time.Date(2026, 3, 2, 21, 40, 0, 0, time.UTC)
		keys := []string{"key-1a2b3c4d", "key-9f8e7d6c", "env-0", ""}
		sessions, calls := mixedCalls("k", 150, start, 37*time.Minute)
		for i := range calls {
			sessions[i].APIKeyID, calls[i].Request.APIKeyID = keys[i%4], keys[i%4]
		}
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions, Exchanges: calls}); err != nil {
			t.Fatal(err)
		}
		check := func(when string) {
			t.Helper()
			checkKeyFilters(t, st, start, sessions, calls, when)
		}
		check("written")
		// Recorded before migration 0025, responses held no key: it copies
		// their requests'.
		if _, err := st.DB().Exec(`UPDATE responses SET api_key_id = NULL`); err != nil {
			t.Fatal(err)
		}
		migration, err := os.ReadFile(fmt.Sprintf("../%s/migrations/0025_api_key_filter.sql", st.Backend()))
		if err != nil {
			t.Fatal(err)
		}
		_, update, _ := strings.Cut(string(migration), "ALTER TABLE responses ADD COLUMN api_key_id TEXT;")
		update, _, _ = strings.Cut(update, ";")
		if _, err := st.DB().Exec(update); err != nil {
			t.Fatal(err)
		}
		check("migrated")
	})
}

// checkKeyFilters checks every list, statistics and the export under the
// keys' filters against the calls written.
func checkKeyFilters(t *testing.T, st *sqlstore.Store, start time.Time, sessions []qp.Session, calls []qp.Exchange, when string) {
	t.Helper()
	ctx := context.Background()
	matches := func(c qp.Exchange, f qp.CallFilter) bool {
		rq, rs := c.Request, c.Response
		return rq.APIKeyID == f.APIKeyID && (f.Model == "" || rq.Model == f.Model) && (f.Account == "" || rq.Account == f.Account) &&
			(f.Status == "" || rs.Status == f.Status) && (f.SessionID == "" || rq.SessionID == f.SessionID) &&
			(f.Range.Start.IsZero() || !rq.Timestamp.Before(f.Range.Start)) && (f.Range.End.IsZero() || rq.Timestamp.Before(f.Range.End))
	}
	respMatches := func(c qp.Exchange, f qp.CallFilter) bool { // the response list's range is the responses' time
		g := f
		g.Range = qp.TimeRange{}
		return matches(c, g) && (f.Range.Start.IsZero() || !c.Response.Timestamp.Before(f.Range.Start)) &&
			(f.Range.End.IsZero() || c.Response.Timestamp.Before(f.Range.End))
	}
	var filters []qp.CallFilter
	for _, k := range []string{"key-1a2b3c4d", "env-0", "key-unknown"} {
		filters = append(filters, qp.CallFilter{APIKeyID: k}, qp.CallFilter{APIKeyID: k, Model: "qwen3-max"},
			qp.CallFilter{APIKeyID: k, Account: "a@example.com"}, qp.CallFilter{APIKeyID: k, Status: qp.StatusError},
			qp.CallFilter{APIKeyID: k, SessionID: "k8"}, qp.CallFilter{APIKeyID: k, ResponseModel: "qwq-32b"},
			qp.CallFilter{APIKeyID: k, Range: qp.TimeRange{Start: start.Add(26*time.Hour + 7*time.Minute), End: start.Add(70 * time.Hour)}})
	}
	for _, f := range filters {
		var wantReq, wantResp []string
		for _, c := range calls {
			answered := f.ResponseModel == "" || c.Request.Model == f.ResponseModel
			if matches(c, f) && answered {
				wantReq = append(wantReq, c.Request.RequestID)
			}
			if respMatches(c, f) && answered {
				wantResp = append(wantResp, c.Request.RequestID)
			}
		}
		for _, sort := range []string{"", "id"} {
			var got []string
			o := qp.ListOptions{Limit: 7, Sort: sort}
			for page := 0; ; page++ {
				res, err := st.ListRequests(ctx, f, o)
				if err != nil {
					t.Fatal(err)
				}
				if page == 0 && res.Total != len(wantReq) {
					t.Errorf("%s: requests %+v: total %d, want %d", when, f, res.Total, len(wantReq))
				}
				for _, r := range res.Items {
					got = append(got, r.RequestID)
					if r.APIKeyID != f.APIKeyID {
						t.Errorf("%s: requests %+v: %s made with %q", when, f, r.RequestID, r.APIKeyID)
					}
				}
				if !res.HasMore {
					break
				}
				o.After = res.Next
			}
			if slices.Sort(got); !slices.Equal(got, sorted(wantReq)) {
				t.Errorf("%s: requests %+v sorted by %q: %v, want %v", when, f, sort, got, sorted(wantReq))
			}
		}
		for _, sort := range []string{"", "duration_ms", "total_tokens"} {
			var got []string
			o := qp.ListOptions{Limit: 7, Sort: sort}
			for page := 0; ; page++ {
				res, err := st.ListResponses(ctx, f, o)
				if err != nil {
					t.Fatal(err)
				}
				if page == 0 && res.Total != len(wantResp) {
					t.Errorf("%s: responses %+v: total %d, want %d", when, f, res.Total, len(wantResp))
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
				t.Errorf("%s: responses %+v sorted by %q: %v, want %v", when, f, sort, got, sorted(wantResp))
			}
		}
		if f.ResponseModel != "" {
			continue
		}
		var exported []string
		if err := st.Export(ctx, f, false, func(r *qp.RequestRecord) error {
			exported = append(exported, r.RequestID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if slices.Sort(exported); !slices.Equal(exported, sorted(wantReq)) {
			t.Errorf("%s: export %+v: %v, want %v", when, f, exported, sorted(wantReq))
		}
		if f.SessionID != "" {
			continue
		}
		// Statistics count calls by when they ended: the responses' time.
		q := qp.StatsQuery{APIKeyID: f.APIKeyID, Model: f.Model, Account: f.Account, Range: f.Range, Bucket: "day"}
		st1, err := st.Stats(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var want qp.StatsGroup
		for _, c := range calls {
			if respMatches(c, qp.CallFilter{APIKeyID: f.APIKeyID, Model: f.Model, Account: f.Account, Range: f.Range}) {
				want.Requests++
				want.PromptTokens += int64(c.Response.PromptTokens)
				if c.Response.Status != qp.StatusSuccess {
					want.Errors++
				}
			}
		}
		got := st1.Totals
		if got.Requests != want.Requests || got.Errors != want.Errors || got.PromptTokens != want.PromptTokens {
			t.Errorf("%s: stats %+v: %d calls, %d errors, %d prompt tokens; want %d, %d, %d", when, q, got.Requests, got.Errors, got.PromptTokens,
				want.Requests, want.Errors, want.PromptTokens)
		}
		var byBucket, byModel int64
		for _, g := range st1.ByBucket {
			byBucket += g.Requests
		}
		for _, g := range st1.ByModel {
			byModel += g.Requests
		}
		if byBucket != want.Requests || byModel != want.Requests {
			t.Errorf("%s: stats %+v: %d calls by day, %d by model, want %d", when, q, byBucket, byModel, want.Requests)
		}
	}
	for _, f := range []qp.SessionFilter{{APIKeyID: "key-9f8e7d6c"}, {APIKeyID: "env-0", Model: "qwq-32b"}, {APIKeyID: "key-unknown"}} {
		var want []string
		for _, s := range sessions {
			if s.APIKeyID == f.APIKeyID && (f.Model == "" || s.Model == f.Model) {
				want = append(want, s.ID)
			}
		}
		res, err := st.ListSessions(ctx, f, qp.ListOptions{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range res.Items {
			got = append(got, s.ID)
		}
		if slices.Sort(got); res.Total != len(want) || !slices.Equal(got, sorted(want)) {
			t.Errorf("%s: sessions %+v: %d: %v, want %v", when, f, res.Total, got, sorted(want))
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
