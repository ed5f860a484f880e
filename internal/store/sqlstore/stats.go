package sqlstore

import (
	"context"
	"fmt"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/stats"
)

// Stats computes statistics of calls, by when they ended. One session's are
// exact, from its rows; anything wider reads the hourly rollups, plus the
// rows of the partial hours at the range's edges, with percentiles from
// merged histograms.
func (s *Store) Stats(ctx context.Context, q qp.StatsQuery) (*qp.Stats, error) {
	exact := q.SessionID != ""
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
	if exact {
		var w where
		w.add("session_id = ?", q.SessionID)
		s.modelAndRange(&w, q, q.Range)
		if err := s.scanTimedCalls(ctx, w, addCall); err != nil {
			return nil, err
		}
	} else if err := s.rollupStats(ctx, q, totals, byModel, byAccount, byBucket, bucketKey, addCall); err != nil {
		return nil, err
	}
	out := &qp.Stats{Totals: totals.Group(""), ByModel: byModel.List(), ByAccount: byAccount.List(), Approximate: !exact}
	if bucketKey != nil {
		out.ByBucket = byBucket.List()
	}
	return out, nil
}

func (s *Store) modelAndRange(w *where, q qp.StatsQuery, r qp.TimeRange) {
	if q.Model != "" {
		w.add("model = ?", q.Model)
	}
	if q.Account != "" {
		w.add("account = ?", q.Account)
	}
	w.addRange("timestamp", r)
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
	for _, span := range rollupSpans(from, to, q.Bucket) {
		if err := s.readRollups(ctx, span, q, func(bucket int64, model, account string, a *stats.Acc) {
			totals.Merge(a)
			byModel.Get(model).Merge(a)
			byAccount.Get(account).Merge(a)
			if bucketKey != nil {
				byBucket.Get(bucketKey(bucket)).Merge(a)
			}
		}); err != nil {
			return err
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

// rollupSpans covers the whole hours [from, to) with whole days from the
// daily rollups and the hours at either end from the hourly ones: a year
// over a dozen models and several accounts is some 200,000 hourly rows,
// which took a second to read, and a twenty-fourth of that by day. By-hour
// buckets need the hours themselves.
func rollupSpans(from, to int64, bucket string) []rollupSpan {
	firstDay, lastDay := dayOf(from), dayOf(to)
	if firstDay < from {
		firstDay += dayMillis
	}
	if bucket == "hour" || firstDay >= lastDay {
		return []rollupSpan{{hourlyRollups, from, to}}
	}
	spans := []rollupSpan{{dailyRollups, firstDay, lastDay}}
	if from < firstDay {
		spans = append(spans, rollupSpan{hourlyRollups, from, firstDay})
	}
	if lastDay < to {
		spans = append(spans, rollupSpan{hourlyRollups, lastDay, to})
	}
	return spans
}

// readRollups feeds each rollup row of span matching q's model and account
// to add, with its period's start; add must not keep the Acc, which is
// reused for the next row.
func (s *Store) readRollups(ctx context.Context, span rollupSpan, q qp.StatsQuery, add func(bucket int64, model, account string, a *stats.Acc)) error {
	var w where
	w.add("bucket >= ? AND bucket < ?", span.from, span.to)
	if q.Model != "" {
		w.add("model = ?", q.Model)
	}
	if q.Account != "" {
		w.add("account = ?", q.Account)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT bucket, model, account, `+rollupColumns+` FROM `+span.table+w.sql(), w.args...)
	if err != nil {
		return fmt.Errorf("read rollups from %s: %w", span.table, err)
	}
	defer rows.Close()
	a := stats.NewAcc(false) // every row's, in turn: add merges it and keeps nothing
	for rows.Next() {
		var bucket int64
		var model, account string
		if err := scanRollupInto(a, rows, &bucket, &model, &account); err != nil {
			return fmt.Errorf("read rollups from %s: %w", span.table, err)
		}
		add(bucket, model, account, a)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read rollups from %s: %w", span.table, err)
	}
	return nil
}

// scanTimedCalls feeds each matching response to addCall(timestamp).
func (s *Store) scanTimedCalls(ctx context.Context, w where, addCall func(int64) func(stats.Call)) error {
	rows, err := s.read.QueryContext(ctx, `SELECT timestamp, model, COALESCE(account, ''), status, COALESCE(prompt_tokens, 0), COALESCE(completion_tokens, 0),
		COALESCE(total_tokens, 0), CAST(duration_us AS DOUBLE PRECISION) / 1000, ttft_ms FROM responses`+w.sql(), w.args...)
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
