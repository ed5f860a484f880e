package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/stats"
)

const (
	hourMillis = int64(time.Hour / time.Millisecond)
	dayMillis  = 24 * hourMillis
)

func hourOf(ms int64) int64 { return ms - ms%hourMillis }

// dayOf is the start of the UTC day holding ms.
func dayOf(ms int64) int64 { return ms - ms%dayMillis }

// lastMonth is the start of the last month rollups are kept by (December
// 9999): past it a time has no calendar month that converts back to Unix
// milliseconds, and all time's end (1<<62) is far past it.
var lastMonth = time.Date(9999, 12, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

// monthOf is the start of the UTC month holding ms (at most lastMonth).
func monthOf(ms int64) int64 {
	if ms >= lastMonth {
		return lastMonth
	}
	t := time.UnixMilli(ms).UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).UnixMilli()
}

// nextMonth is the start of the UTC month after the one starting at month.
func nextMonth(month int64) int64 {
	return time.UnixMilli(month).UTC().AddDate(0, 1, 0).UnixMilli()
}

// The rollup tables: by the hour a call ended, by its UTC day and by its
// UTC month. Each row is keyed by its period's start, the model and the
// account.
const (
	hourlyRollups  = "stats_hourly"
	dailyRollups   = "stats_daily"
	monthlyRollups = "stats_monthly"
	// hourlyTotals and dailyTotals hold each hour's and day's calls of
	// every model and account together, model and account '' (migration
	// 0021): statistics by hour or by day of all calls read one row a
	// bucket, where summing the rollups by model and account per bucket
	// read a year's 216,000 hourly rows (0.35-1.9 s).
	hourlyTotals = "stats_hourly_totals"
	dailyTotals  = "stats_daily_totals"
)

// The same rollups per proxy API key (migration 0026), each row keyed by
// the key's id too: statistics under api_key_id read every call of the key
// in the range without them (a busy key's 30 days 0.3-2.6 s at a million
// calls). Calls made without a key (auth off) have no rows here. Their
// rows stay bounded as the others do: one per period, key, model and
// account that had calls, so never more than the calls, and per period at
// most the keys the operator made (stored or configured: only a valid key
// is recorded) times the models and accounts that the rollups by model and
// account already hold.
const (
	keyHourlyRollups  = "stats_key_hourly"
	keyDailyRollups   = "stats_key_daily"
	keyMonthlyRollups = "stats_key_monthly"
	keyHourlyTotals   = "stats_key_hourly_totals"
	keyDailyTotals    = "stats_key_daily_totals"
)

// rollupSet is one family of rollup tables: a table for each period and
// each period's totals read by bucket.
type rollupSet struct {
	hourly, daily, monthly    string
	hourlyTotals, dailyTotals string
	// perKey sets the rows apart by API key; calls without one are left out.
	perKey bool
}

var (
	byModel = rollupSet{hourlyRollups, dailyRollups, monthlyRollups, hourlyTotals, dailyTotals, false}
	byKey   = rollupSet{keyHourlyRollups, keyDailyRollups, keyMonthlyRollups, keyHourlyTotals, keyDailyTotals, true}
	// rollupSets are every family, each written with every batch.
	rollupSets = []rollupSet{byModel, byKey}
)

// rollupsFor is the family that answers statistics of the calls of
// apiKeyID ("" for every call, keyed or not).
func rollupsFor(apiKeyID string) rollupSet {
	if apiKeyID != "" {
		return byKey
	}
	return byModel
}

func (r rollupSet) tables() []string {
	return []string{r.hourly, r.daily, r.monthly, r.hourlyTotals, r.dailyTotals}
}

// keyed reports whether table's rows are keyed by API key too.
func keyed(table string) bool {
	switch table {
	case keyHourlyRollups, keyDailyRollups, keyMonthlyRollups, keyHourlyTotals, keyDailyTotals:
		return true
	}
	return false
}

// totalsOf is the table of table's periods' totals over every model and
// account, or "" (months are not read by bucket).
func totalsOf(table string) string {
	for _, r := range rollupSets {
		switch table {
		case r.hourly:
			return r.hourlyTotals
		case r.daily:
			return r.dailyTotals
		}
	}
	return ""
}

type rollupKey struct {
	bucket  int64
	model   string
	account string
	apiKey  string // in the rollups per key only
}

// rollupGroups are a batch's or a rebuild's sums of calls, by table and
// row.
type rollupGroups map[string]map[rollupKey]*stats.Acc

// add counts c, which ended at ended (Unix ms), in the groups of the tables
// of sets (only the hourly ones when hoursOnly): its hour's, day's and
// month's rows by model and account, and its hour's and day's totals.
func (g rollupGroups) add(sets []rollupSet, hoursOnly bool, c stats.Call, ended int64) {
	for _, r := range sets {
		var key string
		if r.perKey {
			if c.APIKeyID == "" {
				continue
			}
			key = c.APIKeyID
		}
		g.get(r.hourly, rollupKey{hourOf(ended), c.Model, c.Account, key}).Add(c)
		g.get(r.hourlyTotals, rollupKey{bucket: hourOf(ended), apiKey: key}).Add(c)
		if hoursOnly {
			continue
		}
		g.get(r.daily, rollupKey{dayOf(ended), c.Model, c.Account, key}).Add(c)
		g.get(r.monthly, rollupKey{monthOf(ended), c.Model, c.Account, key}).Add(c)
		g.get(r.dailyTotals, rollupKey{bucket: dayOf(ended), apiKey: key}).Add(c)
	}
}

func (g rollupGroups) get(table string, k rollupKey) *stats.Acc {
	if g[table] == nil {
		g[table] = map[rollupKey]*stats.Acc{}
	}
	return group(g[table], k)
}

// addRollups folds a batch of exchanges into the hourly, daily and monthly
// rollups, by model and account and by API key: per batch, one read and one
// upsert for each hour, model and account (and key) it touches, and as many
// for each day and each month, and one for each hour and each day of its
// totals (and of each key's).
func addRollups(ctx context.Context, tx *txn, batch []qp.Exchange) error {
	groups := rollupGroups{}
	for i := range batch {
		rq, rs := &batch[i].Request, &batch[i].Response
		var ttft *float64
		if v, ok := ttftMillis(rq, rs).(float64); ok {
			ttft = &v
		}
		c := stats.Call{Model: batch[i].AnsweringModel(), Account: rq.Account, APIKeyID: rq.APIKeyID,
			Error: rs.Status != qp.StatusSuccess, PromptTokens: int64(rs.PromptTokens),
			CompletionTokens: int64(rs.CompletionTokens), TotalTokens: int64(rs.TotalTokens),
			DurationMillis: float64(rs.Duration.Microseconds()) / 1000, TTFTMillis: ttft}
		groups.add(rollupSets, false, c, rs.Timestamp.UnixMilli())
	}
	// In a fixed order of tables: every writer takes the rows of one table
	// before the next's.
	for _, r := range rollupSets {
		for _, table := range r.tables() {
			if err := mergeRollups(ctx, tx, table, groups[table]); err != nil {
				return err
			}
		}
	}
	return nil
}

func group(groups map[rollupKey]*stats.Acc, k rollupKey) *stats.Acc {
	a := groups[k]
	if a == nil {
		a = stats.NewAcc(false)
		groups[k] = a
	}
	return a
}

// mergeRollups adds groups to the rows of table that hold their keys.
func mergeRollups(ctx context.Context, tx *txn, table string, groups map[rollupKey]*stats.Acc) error {
	for k, a := range groups {
		old, err := scanRollup(tx.QueryRowContext(ctx, selectRollup(table), rollupIdentity(table, k)...))
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return fmt.Errorf("read rollup from %s: %w", table, err)
		default:
			a.Merge(old)
		}
		if err := writeRollup(ctx, tx, table, k, a); err != nil {
			return err
		}
	}
	return nil
}

const rollupColumns = `requests, errors, prompt_tokens, completion_tokens, total_tokens,
	duration_sum, duration_n, ttft_sum, ttft_n, duration_hist, ttft_hist`

// identityColumns are the columns that name table's rows.
func identityColumns(table string) string {
	if keyed(table) {
		return "bucket, model, account, api_key_id"
	}
	return "bucket, model, account"
}

// rollupIdentity is the values of k's identity columns in table.
func rollupIdentity(table string, k rollupKey) []any {
	if keyed(table) {
		return []any{k.bucket, k.model, k.account, k.apiKey}
	}
	return []any{k.bucket, k.model, k.account}
}

func selectRollup(table string) string {
	w := `bucket = ? AND model = ? AND account = ?`
	if keyed(table) {
		w += ` AND api_key_id = ?`
	}
	return `SELECT ` + rollupColumns + ` FROM ` + table + ` WHERE ` + w
}

func scanRollup(row interface{ Scan(...any) error }, extra ...any) (*stats.Acc, error) {
	a := stats.NewAcc(false)
	if err := scanRollupInto(a, row, extra...); err != nil {
		return nil, err
	}
	return a, nil
}

// scanRollupInto reads a rollup row into a, which it empties first: a
// reader of many rows reuses one.
func scanRollupInto(a *stats.Acc, row interface{ Scan(...any) error }, extra ...any) error {
	*a = *stats.NewAcc(false)
	var dh, th string
	dest := append(extra, &a.Requests, &a.Errors, &a.PromptTokens, &a.CompletionTokens, &a.Total,
		&a.DurationSum, &a.DurationN, &a.TTFTSum, &a.TTFTN, &dh, &th)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	a.DurationHist.AddEncoded(dh)
	a.TTFTHist.AddEncoded(th)
	return nil
}

func rollupUpsert(table string) string {
	ident := identityColumns(table)
	marks := strings.Repeat("?, ", strings.Count(ident, ",")+1)
	return `INSERT INTO ` + table + ` (` + ident + `, ` + rollupColumns + `)
	VALUES (` + marks + `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (` + ident + `) DO UPDATE SET requests = excluded.requests, errors = excluded.errors,
		prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens, total_tokens = excluded.total_tokens,
		duration_sum = excluded.duration_sum, duration_n = excluded.duration_n, ttft_sum = excluded.ttft_sum, ttft_n = excluded.ttft_n,
		duration_hist = excluded.duration_hist, ttft_hist = excluded.ttft_hist`
}

func rollupArgs(table string, k rollupKey, a *stats.Acc) []any {
	return append(rollupIdentity(table, k), a.Requests, a.Errors, a.PromptTokens, a.CompletionTokens, a.Total,
		a.DurationSum, a.DurationN, a.TTFTSum, a.TTFTN, a.DurationHist.Encode(), a.TTFTHist.Encode())
}

func writeRollup(ctx context.Context, tx *txn, table string, k rollupKey, a *stats.Acc) error {
	if _, err := tx.ExecContext(ctx, rollupUpsert(table), rollupArgs(table, k, a)...); err != nil {
		return fmt.Errorf("write rollup to %s: %w", table, err)
	}
	return nil
}

// rebuildRollups recomputes the given hours (and their totals), by model
// and account and by API key, from the rows that remain, after a delete,
// and then the days holding them from their hours.
func rebuildRollups(ctx context.Context, tx *txn, buckets map[int64]bool) error {
	return rebuildHours(ctx, tx, buckets, rollupSets...)
}

// rebuildHours recomputes the rollups of sets of the given hours from their
// calls, an hour's calls at a time, then their days and months.
func rebuildHours(ctx context.Context, tx *txn, hours map[int64]bool, sets ...rollupSet) error {
	calls := `WHERE timestamp >= ? AND timestamp < ?`
	if len(sets) == 1 && sets[0].perKey {
		calls += ` AND api_key_id IS NOT NULL`
	}
	days := map[int64]bool{}
	for b := range hours {
		days[dayOf(b)] = true
		for _, r := range sets {
			for _, table := range []string{r.hourly, r.hourlyTotals} {
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE bucket = ?`, b); err != nil {
					return fmt.Errorf("rebuild rollup: %w", err)
				}
			}
		}
		groups := rollupGroups{}
		if err := scanCalls(ctx, tx, calls, []any{b, b + hourMillis}, func(c stats.Call) {
			groups.add(sets, true, c, b)
		}); err != nil {
			return err
		}
		for _, r := range sets {
			for _, table := range []string{r.hourly, r.hourlyTotals} {
				for k, a := range groups[table] {
					if err := writeRollup(ctx, tx, table, k, a); err != nil {
						return err
					}
				}
			}
		}
	}
	return rebuildDays(ctx, tx, days, sets)
}

// rebuildDays recomputes the daily rollups (and totals) of sets of the
// given days from their hourly ones, and then the months holding them from
// their days.
func rebuildDays(ctx context.Context, tx *txn, days map[int64]bool, sets []rollupSet) error {
	months := map[int64]bool{}
	for _, r := range sets {
		for d := range days {
			months[monthOf(d)] = true
			if err := rebuildPeriod(ctx, tx, r.daily, r.hourly, d, d+dayMillis); err != nil {
				return err
			}
			// The hourly totals' model and account are '', and so are the day's.
			if err := rebuildPeriod(ctx, tx, r.dailyTotals, r.hourlyTotals, d, d+dayMillis); err != nil {
				return err
			}
		}
		for m := range months {
			if err := rebuildPeriod(ctx, tx, r.monthly, r.daily, m, nextMonth(m)); err != nil {
				return err
			}
		}
	}
	return nil
}

// rebuildPeriod recomputes the rows of table for the period [from, to) from
// the finer rollups of its parts, their histograms merged and encoded anew.
func rebuildPeriod(ctx context.Context, tx *txn, table, parts string, from, to int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE bucket = ?`, from); err != nil {
		return fmt.Errorf("rebuild %s: %w", table, err)
	}
	// The parts' identity but their period's start.
	ident := strings.TrimPrefix(identityColumns(parts), "bucket, ")
	rows, err := tx.QueryContext(ctx, `SELECT `+ident+`, `+rollupColumns+` FROM `+parts+` WHERE bucket >= ? AND bucket < ?`, from, to)
	if err != nil {
		return fmt.Errorf("rebuild %s: %w", table, err)
	}
	groups := map[rollupKey]*stats.Acc{}
	for rows.Next() {
		k := rollupKey{bucket: from}
		dest := []any{&k.model, &k.account}
		if keyed(parts) {
			dest = append(dest, &k.apiKey)
		}
		a, err := scanRollup(rows, dest...)
		if err != nil {
			rows.Close()
			return fmt.Errorf("rebuild %s: %w", table, err)
		}
		group(groups, k).Merge(a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rebuild %s: %w", table, err)
	}
	for k, a := range groups {
		if err := writeRollup(ctx, tx, table, k, a); err != nil {
			return err
		}
	}
	return nil
}

// bucketsWhere returns the hours of the responses matching where.
func bucketsWhere(ctx context.Context, tx *txn, where string, args ...any) (map[int64]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT timestamp - timestamp % ? FROM responses `+where, append([]any{hourMillis}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("find rollup hours: %w", err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var b int64
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		out[b] = true
	}
	return out, rows.Err()
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// scanCalls feeds the responses matching where to fn.
func scanCalls(ctx context.Context, q queryer, where string, args []any, fn func(stats.Call)) error {
	rows, err := q.QueryContext(ctx, `SELECT model, COALESCE(account, ''), COALESCE(api_key_id, ''), status, COALESCE(prompt_tokens, 0), COALESCE(completion_tokens, 0),
		COALESCE(total_tokens, 0), CAST(duration_us AS DOUBLE PRECISION) / 1000, ttft_ms FROM responses `+where, args...)
	if err != nil {
		return fmt.Errorf("read calls: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c stats.Call
		var status string
		var ttft sql.NullFloat64
		if err := rows.Scan(&c.Model, &c.Account, &c.APIKeyID, &status, &c.PromptTokens, &c.CompletionTokens, &c.TotalTokens, &c.DurationMillis, &ttft); err != nil {
			return fmt.Errorf("read calls: %w", err)
		}
		c.Error = status != qp.StatusSuccess
		if ttft.Valid {
			v := ttft.Float64
			c.TTFTMillis = &v
		}
		fn(c)
	}
	return rows.Err()
}

// backfillRollups builds rollups for a database recorded before they
// existed. It runs once, when the rollup table is empty and calls are not.
func (s *Store) backfillRollups(ctx context.Context) error {
	var rollups, calls int
	if err := s.write.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM stats_hourly), (SELECT COUNT(*) FROM (SELECT 1 FROM responses LIMIT 1) AS any_call)`).Scan(&rollups, &calls); err != nil {
		return fmt.Errorf("check rollups: %w", err)
	}
	if rollups > 0 || calls == 0 {
		return nil
	}
	tx, err := s.beginLocked(ctx)
	if err != nil {
		return fmt.Errorf("backfill rollups: %w", err)
	}
	defer tx.Rollback()
	buckets, err := bucketsWhere(ctx, tx, "")
	if err != nil {
		return err
	}
	if err := rebuildRollups(ctx, tx, buckets); err != nil {
		return err
	}
	return tx.Commit()
}

// backfillMonths builds the monthly rollups (migration 0016) from the daily
// ones, once: when they are empty and the daily ones are not. It runs under
// the rollup lock before the store writes, so no batch can have begun the
// monthly rows of a database that has days.
func (s *Store) backfillMonths(ctx context.Context) error {
	tx, err := s.beginLocked(ctx)
	if err != nil {
		return fmt.Errorf("backfill monthly rollups: %w", err)
	}
	defer tx.Rollback()
	var months, days int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM stats_monthly LIMIT 1) AS any_month),
		(SELECT COUNT(*) FROM (SELECT 1 FROM stats_daily LIMIT 1) AS any_day)`).Scan(&months, &days); err != nil {
		return fmt.Errorf("backfill monthly rollups: %w", err)
	}
	if months > 0 || days == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT bucket FROM stats_daily`)
	if err != nil {
		return fmt.Errorf("backfill monthly rollups: %w", err)
	}
	todo := map[int64]bool{}
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return fmt.Errorf("backfill monthly rollups: %w", err)
		}
		todo[monthOf(d)] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backfill monthly rollups: %w", err)
	}
	for m := range todo {
		if err := rebuildPeriod(ctx, tx, monthlyRollups, dailyRollups, m, nextMonth(m)); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("backfill monthly rollups: %w", err)
	}
	return nil
}

// backfillTotals builds the hourly and daily totals (migration 0021) from
// the hourly rollups, once: when they are empty and the hourly rollups are
// not. Like backfillMonths it runs under the rollup lock before the store
// writes. One pass over the hourly rows (some 216,000 for a year of a dozen
// models and six accounts), each period's histograms merged and encoded
// anew.
func (s *Store) backfillTotals(ctx context.Context) error {
	tx, err := s.beginLocked(ctx)
	if err != nil {
		return fmt.Errorf("backfill rollup totals: %w", err)
	}
	defer tx.Rollback()
	var totals, hours int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM stats_hourly_totals LIMIT 1) AS any_total),
		(SELECT COUNT(*) FROM (SELECT 1 FROM stats_hourly LIMIT 1) AS any_hour)`).Scan(&totals, &hours); err != nil {
		return fmt.Errorf("backfill rollup totals: %w", err)
	}
	if totals > 0 || hours == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT bucket, `+rollupColumns+` FROM stats_hourly`)
	if err != nil {
		return fmt.Errorf("backfill rollup totals: %w", err)
	}
	byHour, byDay := map[rollupKey]*stats.Acc{}, map[rollupKey]*stats.Acc{}
	a := stats.NewAcc(false)
	for rows.Next() {
		var b int64
		if err := scanRollupInto(a, rows, &b); err != nil {
			rows.Close()
			return fmt.Errorf("backfill rollup totals: %w", err)
		}
		group(byHour, rollupKey{bucket: b}).Merge(a)
		group(byDay, rollupKey{bucket: dayOf(b)}).Merge(a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backfill rollup totals: %w", err)
	}
	for _, t := range []struct {
		table  string
		groups map[rollupKey]*stats.Acc
	}{{hourlyTotals, byHour}, {dailyTotals, byDay}} {
		for k, a := range t.groups {
			if err := writeRollup(ctx, tx, t.table, k, a); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("backfill rollup totals: %w", err)
	}
	return nil
}
