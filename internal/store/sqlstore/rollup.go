package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/stats"
)

const hourMillis = int64(time.Hour / time.Millisecond)

func hourOf(ms int64) int64 { return ms - ms%hourMillis }

type rollupKey struct {
	bucket  int64
	model   string
	account string
}

// addRollups folds a batch of exchanges into the hourly rollups.
func addRollups(ctx context.Context, tx *txn, batch []qp.Exchange) error {
	groups := map[rollupKey]*stats.Acc{}
	for i := range batch {
		rq, rs := &batch[i].Request, &batch[i].Response
		k := rollupKey{hourOf(rs.Timestamp.UnixMilli()), batch[i].AnsweringModel(), rq.Account}
		a := groups[k]
		if a == nil {
			a = stats.NewAcc(false)
			groups[k] = a
		}
		var ttft *float64
		if v, ok := ttftMillis(rq, rs).(float64); ok {
			ttft = &v
		}
		a.Add(stats.Call{Error: rs.Status != qp.StatusSuccess, PromptTokens: int64(rs.PromptTokens),
			CompletionTokens: int64(rs.CompletionTokens), TotalTokens: int64(rs.TotalTokens),
			DurationMillis: float64(rs.Duration.Microseconds()) / 1000, TTFTMillis: ttft})
	}
	for k, a := range groups {
		old, err := scanRollup(tx.QueryRowContext(ctx, selectRollup, k.bucket, k.model, k.account))
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return fmt.Errorf("read rollup: %w", err)
		default:
			a.Merge(old)
		}
		if err := writeRollup(ctx, tx, k, a); err != nil {
			return err
		}
	}
	return nil
}

const rollupColumns = `requests, errors, prompt_tokens, completion_tokens, total_tokens,
	duration_sum, duration_n, ttft_sum, ttft_n, duration_hist, ttft_hist`

const selectRollup = `SELECT ` + rollupColumns + ` FROM stats_hourly WHERE bucket = ? AND model = ? AND account = ?`

func scanRollup(row interface{ Scan(...any) error }, extra ...any) (*stats.Acc, error) {
	a := stats.NewAcc(false)
	var dh, th string
	dest := append(extra, &a.Requests, &a.Errors, &a.PromptTokens, &a.CompletionTokens, &a.Total,
		&a.DurationSum, &a.DurationN, &a.TTFTSum, &a.TTFTN, &dh, &th)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	a.DurationHist, a.TTFTHist = stats.DecodeHistogram(dh), stats.DecodeHistogram(th)
	return a, nil
}

const rollupUpsert = `INSERT INTO stats_hourly (bucket, model, account, ` + rollupColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (bucket, model, account) DO UPDATE SET requests = excluded.requests, errors = excluded.errors,
		prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens, total_tokens = excluded.total_tokens,
		duration_sum = excluded.duration_sum, duration_n = excluded.duration_n, ttft_sum = excluded.ttft_sum, ttft_n = excluded.ttft_n,
		duration_hist = excluded.duration_hist, ttft_hist = excluded.ttft_hist`

func rollupArgs(k rollupKey, a *stats.Acc) []any {
	return []any{k.bucket, k.model, k.account, a.Requests, a.Errors, a.PromptTokens, a.CompletionTokens, a.Total,
		a.DurationSum, a.DurationN, a.TTFTSum, a.TTFTN, a.DurationHist.Encode(), a.TTFTHist.Encode()}
}

func writeRollup(ctx context.Context, tx *txn, k rollupKey, a *stats.Acc) error {
	if _, err := tx.ExecContext(ctx, rollupUpsert, rollupArgs(k, a)...); err != nil {
		return fmt.Errorf("write rollup: %w", err)
	}
	return nil
}

// rebuildRollups recomputes the given hours from the rows that remain, after
// a delete.
func rebuildRollups(ctx context.Context, tx *txn, buckets map[int64]bool) error {
	for b := range buckets {
		if _, err := tx.ExecContext(ctx, `DELETE FROM stats_hourly WHERE bucket = ?`, b); err != nil {
			return fmt.Errorf("rebuild rollup: %w", err)
		}
		groups := map[rollupKey]*stats.Acc{}
		err := scanCalls(ctx, tx, `WHERE timestamp >= ? AND timestamp < ?`, []any{b, b + hourMillis}, func(c stats.Call) {
			k := rollupKey{b, c.Model, c.Account}
			a := groups[k]
			if a == nil {
				a = stats.NewAcc(false)
				groups[k] = a
			}
			a.Add(c)
		})
		if err != nil {
			return err
		}
		for k, a := range groups {
			if err := writeRollup(ctx, tx, k, a); err != nil {
				return err
			}
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
	rows, err := q.QueryContext(ctx, `SELECT model, COALESCE(account, ''), status, COALESCE(prompt_tokens, 0), COALESCE(completion_tokens, 0),
		COALESCE(total_tokens, 0), CAST(duration_us AS DOUBLE PRECISION) / 1000, ttft_ms FROM responses `+where, args...)
	if err != nil {
		return fmt.Errorf("read calls: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c stats.Call
		var status string
		var ttft sql.NullFloat64
		if err := rows.Scan(&c.Model, &c.Account, &status, &c.PromptTokens, &c.CompletionTokens, &c.TotalTokens, &c.DurationMillis, &ttft); err != nil {
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
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("backfill rollups: %w", err)
	}
	defer tx.Rollback()
	if err := s.dialect.LockRollups(ctx, tx.Tx); err != nil {
		return fmt.Errorf("backfill rollups: %w", err)
	}
	buckets, err := bucketsWhere(ctx, tx, "")
	if err != nil {
		return err
	}
	if err := rebuildRollups(ctx, tx, buckets); err != nil {
		return err
	}
	return tx.Commit()
}
