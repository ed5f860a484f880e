package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// The daily rollups, which statistics over whole days read instead of 24
// hourly rows each, hold each UTC day's calls as its rows do, after writes
// in several batches and after deletes; statistics over all time and over a
// range that starts and ends mid-day agree with the rows, by model, by
// account and by day.
func TestDailyRollupsAgreeWithTheCalls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		start := time.Date(2026, 3, 1, 5, 30, 0, 0, time.UTC)
		models, accounts := []string{"qwen3-max", "qwen3-coder-plus", "qwq-32b"}, []string{"a@example.com", "b@example.com", ""}
		var sessions []qp.Session
		var calls []qp.Exchange
		for i := range 60 {
			at := start.Add(time.Duration(i) * (2*time.Hour + 13*time.Minute))
			s, c := oneTurn(fmt.Sprint("d", i), at)
			s.Model, c.Request.Model, c.Request.Account = models[i%3], models[i%3], accounts[i%5%3]
			c.Response.PromptTokens, c.Response.CompletionTokens = 100+i, 10+i%7
			c.Response.TotalTokens = c.Response.PromptTokens + c.Response.CompletionTokens
			c.Response.Duration = time.Duration(200+37*i) * time.Millisecond
			c.Response.Timestamp = at.Add(c.Response.Duration)
			if i%7 == 0 {
				c.Response.Status, c.Response.HTTPStatus = qp.StatusError, 502
			}
			sessions, calls = append(sessions, s), append(calls, c)
		}
		for _, half := range [][2]int{{0, 25}, {25, 60}} {
			if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions[half[0]:half[1]], Exchanges: calls[half[0]:half[1]]}); err != nil {
				t.Fatal(err)
			}
		}
		check := func(when string) {
			t.Helper()
			compareDays(t, st, when)
			mid := qp.TimeRange{Start: start.Add(26*time.Hour + 17*time.Minute), End: start.Add(100*time.Hour + 41*time.Minute)}
			for _, r := range []qp.TimeRange{{}, mid} {
				got, err := st.Stats(ctx, qp.StatsQuery{Range: r, Bucket: "day"})
				if err != nil {
					t.Fatal(err)
				}
				want := statsFromRows(t, st, r)
				groups := map[string]qp.StatsGroup{"all": got.Totals}
				for _, g := range got.ByModel {
					groups["model "+g.Key] = g
				}
				for _, g := range got.ByAccount {
					groups["account "+g.Key] = g
				}
				for _, g := range got.ByBucket {
					groups["day "+g.Key] = g
				}
				for k, w := range want {
					g := groups[k]
					if g.Requests != w[0] || g.Errors != w[1] || g.PromptTokens != w[2] || g.CompletionTokens != w[3] {
						t.Errorf("%s, range %v, %s: %d calls, %d errors, %d+%d tokens; the rows hold %v", when, r, k, g.Requests, g.Errors, g.PromptTokens, g.CompletionTokens, w)
					}
				}
				if len(groups) != len(want) {
					t.Errorf("%s, range %v: groups %d, the rows make %d", when, r, len(groups), len(want))
				}
			}
		}
		check("written")
		if err := st.DeleteSession(ctx, "d31"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DeleteRequestsBefore(ctx, start.Add(50*time.Hour), 7); err != nil {
			t.Fatal(err)
		}
		check("after deletes")
	})
}

// compareDays compares each day's daily rollups with its rows.
func compareDays(t *testing.T, st *sqlstore.Store, when string) {
	t.Helper()
	read := func(q string) map[int64][4]int64 {
		rows, err := st.DB().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int64][4]int64{}
		for rows.Next() {
			var d int64
			var v [4]int64
			if err := rows.Scan(&d, &v[0], &v[1], &v[2], &v[3]); err != nil {
				t.Fatal(err)
			}
			out[d] = v
		}
		return out
	}
	rollups := read(`SELECT bucket, SUM(requests), SUM(errors), SUM(prompt_tokens), SUM(completion_tokens) FROM stats_daily GROUP BY bucket`)
	calls := read(`SELECT timestamp - timestamp % 86400000, COUNT(*), SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END),
		SUM(prompt_tokens), SUM(completion_tokens) FROM responses GROUP BY timestamp - timestamp % 86400000`)
	if fmt.Sprint(rollups) != fmt.Sprint(calls) {
		t.Errorf("%s: daily rollups %v, the rows by day %v", when, rollups, calls)
	}
}

// statsFromRows counts calls, errors and tokens of r from the rows, in all,
// by model, by account and by UTC day, keyed as the test keys Stats' groups.
func statsFromRows(t *testing.T, st *sqlstore.Store, r qp.TimeRange) map[string][4]int64 {
	t.Helper()
	from, to := int64(0), int64(1)<<62
	if !r.Start.IsZero() {
		from, to = r.Start.UnixMilli(), r.End.UnixMilli()
	}
	rows, err := st.DB().Query(`SELECT model, COALESCE(account, ''), timestamp, status, prompt_tokens, completion_tokens FROM responses
		WHERE timestamp >= ` + fmt.Sprint(from) + ` AND timestamp < ` + fmt.Sprint(to))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][4]int64{}
	for rows.Next() {
		var model, account, status string
		var ts, pt, ct int64
		if err := rows.Scan(&model, &account, &ts, &status, &pt, &ct); err != nil {
			t.Fatal(err)
		}
		day := time.UnixMilli(ts - ts%86400000).UTC().Format(time.RFC3339)
		for _, k := range []string{"all", "model " + model, "account " + account, "day " + day} {
			v := out[k]
			v[0]++
			if status == qp.StatusError {
				v[1]++
			}
			v[2] += pt
			v[3] += ct
			out[k] = v
		}
	}
	return out
}
