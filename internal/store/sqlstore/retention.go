package sqlstore

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	qp "qwenproxy"
)

// DeleteRequestsBefore deletes calls that started before before, in
// transactions of at most batch calls so that the recorder is never held
// off for long, then sessions left with no calls and idle since before.
func (s *Store) DeleteRequestsBefore(ctx context.Context, before time.Time, batch int) (int, error) {
	if batch <= 0 {
		batch = 1000
	}
	total := 0
	for {
		n, _, err := s.deleteBatch(ctx, before.UnixMilli(), batch)
		total += n
		if err != nil {
			return total, err
		}
		if n < batch {
			break
		}
	}
	return total, s.deleteEmptySessions(ctx, "last_accessed < ?", before.UnixMilli())
}

// deleteEmptySessions deletes the sessions left with no calls that cond
// (on the sessions' columns) selects.
func (s *Store) deleteEmptySessions(ctx context.Context, cond string, args ...any) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE `+cond+`
		AND NOT EXISTS (SELECT 1 FROM requests WHERE requests.session_id = sessions.id)`, args...); err != nil {
		return fmt.Errorf("delete empty sessions: %w", err)
	}
	return nil
}

// DeleteOldestOver deletes the oldest calls, in transactions of at most
// batch calls, until the history's size (Dialect.Size) is at most maxBytes,
// and returns how many it deleted. The sessions those calls leave empty go
// with them (a session row holds its first message: kept, they made a
// limit they outweighed unreachable, and every call was deleted, the newest
// too, sweep after sweep). It stops early when no call is left, or when
// rounds of deletes (each deleting twice the calls of the one before) have
// not made the size go down maxStuck times in a row: the size counts whole
// pages, and a call smaller than a page frees none until its neighbours go
// too; the bound keeps a limit that deletes cannot reach (the rest is
// sessions, or the schema's own pages) from taking call after call.
func (s *Store) DeleteOldestOver(ctx context.Context, maxBytes int64, batch int) (int, error) {
	const maxStuck = 4
	if batch <= 0 {
		batch = 1000
	}
	total, stuck := 0, 0
	last := int64(math.MaxInt64)
	for {
		size, err := s.Size(ctx)
		if err != nil {
			return total, err
		}
		if size >= last {
			stuck++
		} else {
			stuck = 0
		}
		if size <= maxBytes || stuck > maxStuck {
			return total, nil
		}
		last = min(last, size)
		var calls int64
		if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM requests`).Scan(&calls); err != nil {
			return total, fmt.Errorf("retention by size: %w", err)
		}
		// The share of calls to delete is the share of bytes over the limit
		// (calls are alike enough; the next round measures again).
		excess := max(int(math.Ceil(float64(size-maxBytes)/float64(size)*float64(calls))), 1<<stuck)
		for excess > 0 {
			n, newest, err := s.deleteBatch(ctx, math.MaxInt64, min(batch, excess))
			total += n
			if err != nil {
				return total, err
			}
			if n == 0 {
				return total, nil
			}
			// Begun before the oldest call kept (or, none kept, no later
			// than the newest deleted): a session begun since may be
			// waiting for its first call's record.
			if err := s.deleteEmptySessions(ctx, "created_at < COALESCE((SELECT MIN(timestamp) FROM requests), ?)", newest+1); err != nil {
				return total, err
			}
			excess -= n
		}
	}
}

// Size is the history's size in bytes as the backend measures it (see
// Dialect.Size).
func (s *Store) Size(ctx context.Context) (int64, error) {
	n, err := s.dialect.Size(ctx, s.write.DB)
	if err != nil {
		return 0, fmt.Errorf("measure database size: %w", err)
	}
	return n, nil
}

// deleteBatch deletes at most batch of the oldest calls started before
// before (Unix ms), with what only they used, and returns how many it
// deleted and when the newest of them started.
func (s *Store) deleteBatch(ctx context.Context, before int64, batch int) (int, int64, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("delete requests: %w", err)
	}
	defer tx.Rollback()
	if err := s.dialect.LockRollups(ctx, tx.Tx); err != nil {
		return 0, 0, fmt.Errorf("delete requests: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, timestamp FROM requests WHERE timestamp < ? ORDER BY timestamp LIMIT ?`, before, batch)
	if err != nil {
		return 0, 0, fmt.Errorf("delete requests: %w", err)
	}
	var ids []any
	var newest int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id, &newest); err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("delete requests: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) == 0 {
		return 0, 0, nil
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")"
	buckets, err := bucketsWhere(ctx, tx, "WHERE request_id IN "+in, ids...)
	if err != nil {
		return 0, 0, err
	}
	parts, err := s.releaseParts(ctx, tx, "q.id IN "+in, ids...)
	if err != nil {
		return 0, 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM requests WHERE id IN `+in, ids...); err != nil {
		return 0, 0, fmt.Errorf("delete requests: %w", err)
	}
	if err := rebuildRollups(ctx, tx, buckets); err != nil {
		return 0, 0, err
	}
	if err := s.deleteParts(ctx, tx, parts); err != nil {
		return 0, 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("delete requests: %w", err)
	}
	return len(ids), newest, nil
}

// Export streams calls (oldest first) to fn, reading them in pages so that
// memory stays flat however many there are.
func (s *Store) Export(ctx context.Context, f qp.CallFilter, bodies bool, fn func(*qp.RequestRecord) error) error {
	o := qp.ListOptions{Limit: 500, Asc: true, Bodies: bodies, NoTotal: true}
	for {
		page, err := s.ListRequests(ctx, f, o)
		if err != nil {
			return err
		}
		for i := range page.Items {
			if err := fn(&page.Items[i]); err != nil {
				return err
			}
		}
		if !page.HasMore {
			return nil
		}
		o.After = page.Next
	}
}
