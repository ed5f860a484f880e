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
		sessions, calls := mixedCalls("d", 60, start, 2*time.Hour+13*time.Minute)
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
		if _, err := st.DeleteRequestsBefore(ctx, start.Add(50*time.Hour), 7, nil); err != nil {
			t.Fatal(err)
		}
		check("after deletes")
	})
}

// compareDays compares each day's daily rollups with its rows.
func compareDays(t *testing.T, st *sqlstore.Store, when string) {
	t.Helper()
	rollups := bucketSums(t, st, `SELECT bucket, SUM(requests), SUM(errors), SUM(prompt_tokens), SUM(completion_tokens) FROM stats_daily GROUP BY bucket`)
	calls := bucketSums(t, st, `SELECT timestamp - timestamp % 86400000, COUNT(*), SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END),
		SUM(prompt_tokens), SUM(completion_tokens) FROM responses GROUP BY timestamp - timestamp % 86400000`)
	if fmt.Sprint(rollups) != fmt.Sprint(calls) {
		t.Errorf("%s: daily rollups %v, the rows by day %v", when, rollups, calls)
	}
}

// bucketSums reads q's rows of a bucket and four sums (calls, errors,
// prompt and completion tokens), one row a bucket.
func bucketSums(t *testing.T, st *sqlstore.Store, q string) map[int64][4]int64 {
	t.Helper()
	rows, err := st.DB().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64][4]int64{}
	for rows.Next() {
		var b int64
		var v [4]int64
		if err := rows.Scan(&b, &v[0], &v[1], &v[2], &v[3]); err != nil {
			t.Fatal(err)
		}
		out[b] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
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

// The monthly rollups, which statistics over whole months read instead of
// a month of daily rows, hold each UTC month's calls as its rows do, after
// writes in several batches, after deletes, and when a database of days is
// migrated to them (built from its daily rollups); statistics over all
// time and over a range from mid-month to mid-month, without buckets, by
// day and by hour, agree with the rows, by model, by account and by day.
func TestMonthlyRollupsAgreeWithTheCalls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		start := time.Date(2026, 1, 27, 22, 30, 0, 0, time.UTC)
		sessions, calls := mixedCalls("m", 80, start, 29*time.Hour+13*time.Minute) // some 97 days: four months
		for _, part := range [][2]int{{0, 30}, {30, 55}, {55, 80}} {
			if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions[part[0]:part[1]], Exchanges: calls[part[0]:part[1]]}); err != nil {
				t.Fatal(err)
			}
		}
		check := func(when string) {
			t.Helper()
			compareMonths(t, st, when)
			mid := qp.TimeRange{Start: start.Add(9*24*time.Hour + 17*time.Minute), End: start.Add(80*24*time.Hour + 41*time.Minute)}
			for _, r := range []qp.TimeRange{{}, mid} {
				for _, bucket := range []string{"", "day", "hour"} {
					got, err := st.Stats(ctx, qp.StatsQuery{Range: r, Bucket: bucket})
					if err != nil {
						t.Fatal(err)
					}
					compareStats(t, fmt.Sprintf("%s, range %v, bucket %q", when, r, bucket), got, statsFromRows(t, st, r), bucket)
				}
			}
		}
		check("written")
		if err := st.DeleteSession(ctx, "m31"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DeleteRequestsBefore(ctx, start.Add(40*24*time.Hour), 7, nil); err != nil {
			t.Fatal(err)
		}
		check("after deletes")
		if _, err := st.DB().Exec(`DELETE FROM stats_monthly`); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		check("built from the days")
	})
}

// compareStats compares Stats' groups with those statsFromRows counted
// (its days only when bucket is "day"; by hour, the hours' sums by day).
func compareStats(t *testing.T, when string, got *qp.Stats, want map[string][4]int64, bucket string) {
	t.Helper()
	groups := map[string]qp.StatsGroup{"all": got.Totals}
	for _, g := range got.ByModel {
		groups["model "+g.Key] = g
	}
	for _, g := range got.ByAccount {
		groups["account "+g.Key] = g
	}
	for _, g := range got.ByBucket {
		key := g.Key
		if bucket == "hour" {
			ts, err := time.Parse(time.RFC3339, g.Key)
			if err != nil {
				t.Fatal(err)
			}
			key = ts.Truncate(24 * time.Hour).Format(time.RFC3339)
		}
		sum := groups["day "+key]
		sum.Requests, sum.Errors = sum.Requests+g.Requests, sum.Errors+g.Errors
		sum.PromptTokens, sum.CompletionTokens = sum.PromptTokens+g.PromptTokens, sum.CompletionTokens+g.CompletionTokens
		groups["day "+key] = sum
	}
	n := 0
	for k, w := range want {
		if bucket == "" && strings.HasPrefix(k, "day ") {
			continue
		}
		n++
		g := groups[k]
		if g.Requests != w[0] || g.Errors != w[1] || g.PromptTokens != w[2] || g.CompletionTokens != w[3] {
			t.Errorf("%s, %s: %d calls, %d errors, %d+%d tokens; the rows hold %v", when, k, g.Requests, g.Errors, g.PromptTokens, g.CompletionTokens, w)
		}
	}
	if len(groups) != n {
		t.Errorf("%s: groups %d, the rows make %d", when, len(groups), n)
	}
}

// compareMonths compares each month's monthly rollups with its rows.
func compareMonths(t *testing.T, st *sqlstore.Store, when string) {
	t.Helper()
	got := map[string][4]int64{}
	for b, v := range bucketSums(t, st, `SELECT bucket, SUM(requests), SUM(errors), SUM(prompt_tokens), SUM(completion_tokens) FROM stats_monthly GROUP BY bucket`) {
		got[time.UnixMilli(b).UTC().Format("2006-01-02T15:04")] = v
	}
	calls, err := st.DB().Query(`SELECT timestamp, status, prompt_tokens, completion_tokens FROM responses`)
	if err != nil {
		t.Fatal(err)
	}
	defer calls.Close()
	want := map[string][4]int64{}
	for calls.Next() {
		var ts, pt, ct int64
		var status string
		if err := calls.Scan(&ts, &status, &pt, &ct); err != nil {
			t.Fatal(err)
		}
		at := time.UnixMilli(ts).UTC()
		k := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02T15:04")
		v := want[k]
		v[0]++
		if status == qp.StatusError {
			v[1]++
		}
		v[2], v[3] = v[2]+pt, v[3]+ct
		want[k] = v
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: monthly rollups %v, the rows by month %v", when, got, want)
	}
}

// mixedCalls are n calls, one a step from start, of three models and three
// accounts (one none), tokens and durations growing with i, every seventh
// an error, each in a session of its own named prefix and i.
func mixedCalls(prefix string, n int, start time.Time, step time.Duration) ([]qp.Session, []qp.Exchange) {
	models, accounts := []string{"qwen3-max", "qwen3-coder-plus", "qwq-32b"}, []string{"a@example.com", "b@example.com", ""}
	var sessions []qp.Session
	var calls []qp.Exchange
	for i := range n {
		at := start.Add(time.Duration(i) * step)
		s, c := oneTurn(fmt.Sprint(prefix, i), at)
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
	return sessions, calls
}

// The rollups of every model and account together (migration 0021), which
// statistics by hour or by day read for their buckets when no model or
// account is asked for, hold each hour's and each UTC day's calls as the
// rows do, after writes in several batches, after deletes, and when a
// database recorded before them is migrated (built from its hourly
// rollups); statistics by hour and by day, over all time and from mid-day to
// mid-day, of all calls and of a model or an account (which read the
// rollups by model and account), agree with the rows.
func TestBucketTotalsAgreeWithTheCalls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		start := time.Date(2026, 1, 27, 22, 30, 0, 0, time.UTC)
		sessions, calls := mixedCalls("t", 80, start, 7*time.Hour+13*time.Minute) // some 24 days
		for _, part := range [][2]int{{0, 30}, {30, 55}, {55, 80}} {
			if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions[part[0]:part[1]], Exchanges: calls[part[0]:part[1]]}); err != nil {
				t.Fatal(err)
			}
		}
		check := func(when string) {
			t.Helper()
			for _, p := range []struct {
				table  string
				period int64
			}{{"stats_hourly_totals", 3600000}, {"stats_daily_totals", 86400000}} {
				rollups := bucketSums(t, st, `SELECT bucket, requests, errors, prompt_tokens, completion_tokens FROM `+p.table+` WHERE model = '' AND account = ''`)
				var rowsOf int
				if err := st.DB().QueryRow(`SELECT COUNT(*) FROM ` + p.table).Scan(&rowsOf); err != nil {
					t.Fatal(err)
				}
				byPeriod := fmt.Sprintf("timestamp - timestamp %% %d", p.period)
				calls := bucketSums(t, st, `SELECT `+byPeriod+`, COUNT(*), SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END),
					SUM(prompt_tokens), SUM(completion_tokens) FROM responses GROUP BY `+byPeriod)
				if fmt.Sprint(rollups) != fmt.Sprint(calls) || rowsOf != len(rollups) {
					t.Errorf("%s: %s %v (%d rows), the rows %v", when, p.table, rollups, rowsOf, calls)
				}
			}
			mid := qp.TimeRange{Start: start.Add(3*24*time.Hour + 17*time.Minute), End: start.Add(20*24*time.Hour + 41*time.Minute)}
			for _, r := range []qp.TimeRange{{}, mid} {
				for _, bucket := range []string{"day", "hour"} {
					got, err := st.Stats(ctx, qp.StatsQuery{Range: r, Bucket: bucket})
					if err != nil {
						t.Fatal(err)
					}
					compareStats(t, fmt.Sprintf("%s, range %v, bucket %q", when, r, bucket), got, statsFromRows(t, st, r), bucket)
					// Under a model or an account the buckets are that
					// model's or account's calls, not the totals'.
					for _, q := range []qp.StatsQuery{{Range: r, Bucket: bucket, Model: "qwq-32b"}, {Range: r, Bucket: bucket, Account: "b@example.com"}} {
						got, err := st.Stats(ctx, q)
						if err != nil {
							t.Fatal(err)
						}
						days := map[string]int64{}
						for _, g := range got.ByBucket {
							at, err := time.Parse(time.RFC3339, g.Key)
							if err != nil {
								t.Fatal(err)
							}
							days[at.Truncate(24*time.Hour).Format(time.RFC3339)] += g.Requests
						}
						want := filteredDays(t, st, r, q.Model, q.Account)
						if fmt.Sprint(days) != fmt.Sprint(want) {
							t.Errorf("%s, %+v: calls by day %v, the rows %v", when, q, days, want)
						}
					}
				}
			}
		}
		check("written")
		if err := st.DeleteSession(ctx, "t31"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DeleteRequestsBefore(ctx, start.Add(10*24*time.Hour), 7, nil); err != nil {
			t.Fatal(err)
		}
		check("after deletes")
		if _, err := st.DB().Exec(`DELETE FROM stats_hourly_totals`); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB().Exec(`DELETE FROM stats_daily_totals`); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		check("built from the hours")
	})
}

// filteredDays counts the calls of r of a model or an account (whichever is
// not empty) by UTC day, from the rows.
func filteredDays(t *testing.T, st *sqlstore.Store, r qp.TimeRange, model, account string) map[string]int64 {
	t.Helper()
	from, to := int64(0), int64(1)<<62
	if !r.Start.IsZero() {
		from, to = r.Start.UnixMilli(), r.End.UnixMilli()
	}
	cond := fmt.Sprintf("model = '%s'", model)
	if account != "" {
		cond = fmt.Sprintf("account = '%s'", account)
	}
	rows, err := st.DB().Query(fmt.Sprintf(`SELECT timestamp FROM responses WHERE %s AND timestamp >= %d AND timestamp < %d`, cond, from, to))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var ts int64
		if err := rows.Scan(&ts); err != nil {
			t.Fatal(err)
		}
		out[time.UnixMilli(ts-ts%86400000).UTC().Format(time.RFC3339)]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
