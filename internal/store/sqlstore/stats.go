package sqlstore

import (
	"context"
	"fmt"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/stats"
)

// Stats computes statistics of calls, by when they ended. One session's,
// and one client session's (the calls a client sent with its own
// conversation id), are exact, from their rows; anything wider, one API
// key's too, reads the rollups (a key's from the rollups per key), plus the
// rows of the partial hours at the range's edges, with percentiles from
// merged histograms.
func (s *Store) Stats(ctx context.Context, q qp.StatsQuery) (*qp.Stats, error) {
	return s.stats(ctx, q, ofSession(q))
}

// ofSession reports whether q selects the calls of one session or of one
// client session: few calls, which the rollups do not group, read from
// their rows through their session's index.
func ofSession(q qp.StatsQuery) bool { return q.SessionID != "" || q.ClientSessionID != "" }

// sessionCalls adds q's session and client session conditions on the
// responses.
func sessionCalls(w *where, q qp.StatsQuery) {
	if q.SessionID != "" {
		w.add("session_id = ?", q.SessionID)
	}
	if q.ClientSessionID != "" {
		w.add(inClientSession(""), q.ClientSessionID)
	}
}

// stats computes statistics from the rows alone when fromRows (one
// session's or client session's, which the rollups do not hold), else from
// the rollups and the rows at the edges; the answers are the same.
func (s *Store) stats(ctx context.Context, q qp.StatsQuery, fromRows bool) (*qp.Stats, error) {
	exact := ofSession(q)
	totals, byModel, byBucket := stats.NewAcc(exact), stats.NewGroups(exact), stats.NewGroups(exact)
	byAccount := stats.NewGroups(exact)
	bucketKey := bucketNamer(q.Bucket)
	addCall := func(ts int64) func(stats.Call) {
		return func(c stats.Call) {
			totals.Add(c)
			byModel.Get(c.Model).Add(c)
			byAccount.Get(c.Account).Add(c)
			if bucketKey != nil {
				byBucket.Get(bucketKey(ts)).Add(c)
			}
		}
	}
	if fromRows {
		if err := s.scanTimedCalls(ctx, s.callsOf(q), addCall); err != nil {
			return nil, err
		}
	} else if err := s.rollupStats(ctx, q, totals, byModel, byAccount, byBucket, bucketKey, addCall); err != nil {
		return nil, err
	}
	out := &qp.Stats{Totals: totals.Group(""), ByModel: byModel.List(), ByAccount: byAccount.List(), Approximate: !exact}
	if bucketKey != nil {
		out.ByBucket = byBucket.List()
	}
	var err error
	if out.ByErrorType, err = s.errorTypeCounts(ctx, q); err != nil {
		return nil, err
	}
	return out, nil
}

// callsOf is the condition of the calls q selects, read from their rows:
// its session's, client session's, model's, account's, key's and range's.
func (s *Store) callsOf(q qp.StatsQuery) where {
	var w where
	sessionCalls(&w, q)
	s.modelAndRangeOf(&w, q, q.Range, s.sessionFirst(q))
	return w
}

// sessionFirst is the prefix of the columns beside a client session's: on
// SQLite, which keeps no statistics of its indexes, a model's, an
// account's or a key's index (an equality and a time range each) looks
// better than the responses of the client session's requests (looked up
// one by one by their request id), and it read every call of that model
// in the range to keep the session's few: the unary + leaves those
// indexes aside.
func (s *Store) sessionFirst(q qp.StatsQuery) string {
	if q.ClientSessionID != "" && s.dialect.Name() == "sqlite" {
		return "+"
	}
	return ""
}

func (s *Store) modelAndRange(w *where, q qp.StatsQuery, r qp.TimeRange) {
	s.modelAndRangeOf(w, q, r, "")
}

// modelAndRangeOf adds q's model, account, key and the range r on the
// responses' columns named with prefix.
func (s *Store) modelAndRangeOf(w *where, q qp.StatsQuery, r qp.TimeRange, prefix string) {
	if q.Model != "" {
		w.add(prefix+"model = ?", q.Model)
	}
	if q.Account != "" {
		w.add(prefix+"account = ?", q.Account)
	}
	if q.APIKeyID != "" {
		w.add(prefix+"api_key_id = ?", q.APIKeyID)
	}
	w.addRange(prefix+"timestamp", r)
}

func (s *Store) rollupStats(ctx context.Context, q qp.StatsQuery, totals *stats.Acc, byModel, byAccount, byBucket *stats.Groups,
	bucketKey func(int64) string, addCall func(int64) func(stats.Call)) error {
	// Whole hours come from rollups; the partial hours at each end from rows.
	var from, to int64 = 0, 1 << 62
	if !q.Range.Start.IsZero() {
		from = ceilHour(q.Range.Start.UnixMilli())
	}
	if !q.Range.End.IsZero() {
		to = hourOf(q.Range.End.UnixMilli())
	}
	if from >= to { // the range lies within one hour
		var w where
		s.modelAndRange(&w, q, q.Range)
		return s.scanTimedCalls(ctx, w, addCall)
	}
	// The groups (totals, by model, by account) from the coarsest rollups
	// that fit; the time buckets, if asked for, from their period's rollups
	// summed per bucket by the database: a year by day is 20,000 daily rows
	// of every model and account, of which the buckets want the sums alone.
	// Under an API key, from the key's rollups.
	set := rollupsFor(q.APIKeyID)
	for _, span := range rollupSpans(from, to, "", set) {
		if err := s.readRollups(ctx, span, q, false, func(_ int64, model, account string, a *stats.Acc) {
			totals.Merge(a)
			byModel.Get(model).Merge(a)
			byAccount.Get(account).Merge(a)
		}); err != nil {
			return err
		}
	}
	if bucketKey != nil {
		for _, span := range rollupSpans(from, to, q.Bucket, set) {
			if err := s.readRollups(ctx, span, q, true, func(bucket int64, _, _ string, a *stats.Acc) {
				byBucket.Get(bucketKey(bucket)).Merge(a)
			}); err != nil {
				return err
			}
		}
	}
	var edges []qp.TimeRange
	if !q.Range.Start.IsZero() && q.Range.Start.UnixMilli() < from {
		edges = append(edges, qp.TimeRange{Start: q.Range.Start, End: time.UnixMilli(from)})
	}
	if !q.Range.End.IsZero() && to < q.Range.End.UnixMilli() {
		edges = append(edges, qp.TimeRange{Start: time.UnixMilli(to), End: q.Range.End})
	}
	for _, edge := range edges {
		var w where
		s.modelAndRange(&w, q, edge)
		if err := s.scanTimedCalls(ctx, w, addCall); err != nil {
			return err
		}
	}
	return nil
}

// rollupSpan is the whole periods [from, to) read from one rollup table.
type rollupSpan struct {
	table    string
	from, to int64
}

// rollupSpans covers the whole hours [from, to) with the coarsest rollups
// of set the bucket allows: whole months from the monthly rollups (no
// bucket), whole days from the daily ones (no bucket or by day), the hours at either
// end from the hourly ones. A year over a dozen models and several accounts
// is some 200,000 hourly rows, which took a second to read, some 20,000
// daily ones (92-215 ms) and about 900 monthly ones.
func rollupSpans(from, to int64, bucket string, set rollupSet) []rollupSpan {
	firstDay, lastDay := dayOf(from), dayOf(to)
	if firstDay < from {
		firstDay += dayMillis
	}
	if bucket == "hour" || firstDay >= lastDay {
		return []rollupSpan{{set.hourly, from, to}}
	}
	var spans []rollupSpan
	if from < firstDay {
		spans = append(spans, rollupSpan{set.hourly, from, firstDay})
	}
	if lastDay < to {
		spans = append(spans, rollupSpan{set.hourly, lastDay, to})
	}
	firstMonth, lastMonth := monthOf(firstDay), monthOf(lastDay)
	if firstMonth < firstDay {
		firstMonth = nextMonth(firstMonth)
	}
	if bucket == "day" || firstMonth >= lastMonth {
		return append(spans, rollupSpan{set.daily, firstDay, lastDay})
	}
	spans = append(spans, rollupSpan{set.monthly, firstMonth, lastMonth})
	if firstDay < firstMonth {
		spans = append(spans, rollupSpan{set.daily, firstDay, firstMonth})
	}
	if lastMonth < lastDay {
		spans = append(spans, rollupSpan{set.daily, lastMonth, lastDay})
	}
	return spans
}

// readRollups feeds each rollup row of span matching q's model, account and
// API key (span's table is then one of the rollups per key) to add, with
// its period's start, or with perBucket one row per period,
// its models and accounts summed (model and account then empty: read from
// the period's totals when neither is asked for); add must not keep the
// Acc, which is reused for the next row.
func (s *Store) readRollups(ctx context.Context, span rollupSpan, q qp.StatsQuery, perBucket bool, add func(bucket int64, model, account string, a *stats.Acc)) error {
	var w where
	w.add("bucket >= ? AND bucket < ?", span.from, span.to)
	if q.Model != "" {
		w.add("model = ?", q.Model)
	}
	if q.Account != "" {
		w.add("account = ?", q.Account)
	}
	if keyed(span.table) {
		w.add("api_key_id = ?", q.APIKeyID)
	}
	table := span.table
	if perBucket && q.Model == "" && q.Account == "" && totalsOf(table) != "" {
		// One row a period already holds every model and account's sums
		// (of the key's calls, under a key).
		table, perBucket = totalsOf(table), false
	}
	query := `SELECT bucket, model, account, ` + rollupColumns + ` FROM ` + table + w.sql()
	if perBucket {
		// A histogram's "bucket:count" pairs joined by commas add up when
		// read (see stats.Histogram.AddEncoded).
		// (PostgreSQL sums a BIGINT column as NUMERIC: cast back.)
		query = `SELECT bucket, '', '', CAST(SUM(requests) AS BIGINT), CAST(SUM(errors) AS BIGINT), CAST(SUM(prompt_tokens) AS BIGINT),
			CAST(SUM(completion_tokens) AS BIGINT), CAST(SUM(total_tokens) AS BIGINT), SUM(duration_sum), CAST(SUM(duration_n) AS BIGINT),
			SUM(ttft_sum), CAST(SUM(ttft_n) AS BIGINT), string_agg(duration_hist, ','), string_agg(ttft_hist, ',')
			FROM ` + table + w.sql() + ` GROUP BY bucket`
	}
	rows, err := s.read.QueryContext(ctx, query, w.args...)
	if err != nil {
		return fmt.Errorf("read rollups from %s: %w", table, err)
	}
	defer rows.Close()
	a := stats.NewAcc(false) // every row's, in turn: add merges it and keeps nothing
	for rows.Next() {
		var bucket int64
		var model, account string
		if err := scanRollupInto(a, rows, &bucket, &model, &account); err != nil {
			return fmt.Errorf("read rollups from %s: %w", table, err)
		}
		add(bucket, model, account, a)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read rollups from %s: %w", table, err)
	}
	return nil
}

// timedCalls reads the responses scanTimedCalls feeds on, its condition
// after it.
const timedCalls = `SELECT timestamp, model, COALESCE(account, ''), status, COALESCE(prompt_tokens, 0), COALESCE(completion_tokens, 0),
	COALESCE(total_tokens, 0), CAST(duration_us AS DOUBLE PRECISION) / 1000, ttft_ms FROM responses`

// scanTimedCalls feeds each matching response to addCall(timestamp).
func (s *Store) scanTimedCalls(ctx context.Context, w where, addCall func(int64) func(stats.Call)) error {
	rows, err := s.read.QueryContext(ctx, timedCalls+w.sql(), w.args...)
	if err != nil {
		return fmt.Errorf("read calls: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ts int64
		var c stats.Call
		var status string
		var ttft *float64
		if err := rows.Scan(&ts, &c.Model, &c.Account, &status, &c.PromptTokens, &c.CompletionTokens, &c.TotalTokens, &c.DurationMillis, &ttft); err != nil {
			return fmt.Errorf("read calls: %w", err)
		}
		c.Error, c.TTFTMillis = status != qp.StatusSuccess, ttft
		addCall(ts)(c)
	}
	return rows.Err()
}

func ceilHour(ms int64) int64 {
	if ms%hourMillis == 0 {
		return ms
	}
	return hourOf(ms) + hourMillis
}

// bucketNamer names the time bucket (UTC, RFC 3339) a timestamp falls in.
func bucketNamer(bucket string) func(int64) string {
	switch bucket {
	case "hour":
		return func(ms int64) string { return time.UnixMilli(hourOf(ms)).UTC().Format(time.RFC3339) }
	case "day":
		return func(ms int64) string {
			t := time.UnixMilli(ms).UTC()
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
		}
	}
	return nil
}
