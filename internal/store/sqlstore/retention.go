package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	qp "qwenproxy"
)

// DeleteRequestsBefore deletes calls that started before before, in
// transactions of at most batch calls so that the recorder is never held
// off for long, then the sessions left with no calls (see
// deleteEmptySessions). committed (nil: none) is told the running total as
// each batch ends (the last may delete none), before the next transaction
// begins.
func (s *Store) DeleteRequestsBefore(ctx context.Context, before time.Time, batch int, committed func(deleted int)) (int, error) {
	if err := s.checkGuard(); err != nil {
		return 0, fmt.Errorf("delete calls before %s: %w", before.UTC().Format(time.RFC3339), err)
	}
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
		if committed != nil {
			committed(total)
		}
		if n < batch {
			break
		}
	}
	return total, s.deleteEmptySessions(ctx, before.UnixMilli(), true)
}

// SessionInFlight is how long a session with no recorded call is kept
// since it was last touched: its first call may still be running (a call
// takes at most QWEN_MAX_DURATION, at most an hour) and be recorded later,
// naming it.
const SessionInFlight = time.Hour + 5*time.Minute

// deleteEmptySessions deletes the sessions with no calls begun before the
// oldest call kept (none kept: before deleted, the bound of the calls just
// deleted), and with idle, those idle for SessionInFlight too: calls that
// run at once begin sessions in any order, so a session whose calls were
// all deleted may have begun after the oldest call kept. Idle ones are a
// statement of their own, run once a sweep: it reads every session idle
// that long (most of them), where the first reads only those begun before
// the oldest call. The branches of the sessions deleted take the session
// each of those branched off from, in the same transaction
// (reparentBranches).
//
// Under the writers' lock (beginLocked), as every delete: a session is
// judged empty from the statement's snapshot, and a recorder (another
// instance's, on PostgreSQL) inserting its first calls meanwhile holds the
// session's row for their foreign key; the delete waited for it and then
// deleted the session, whose cascade took those calls, committed by then,
// past the deletes' own accounting — lost, and counted for good in the
// statistics and the lists' totals.
func (s *Store) deleteEmptySessions(ctx context.Context, deleted int64, idle bool) error {
	// The sessions each statement deletes: of the table's rows (p ""), or
	// as a condition on the session p ("p.": their branches are given
	// theirs first, see reparentBranches).
	empty := func(p string) string {
		return ` AND NOT EXISTS (SELECT 1 FROM requests WHERE requests.session_id = ` + cmp.Or(p, "sessions.") + `id)`
	}
	begunBefore := func(p string) string {
		return p + `created_at < COALESCE((SELECT MIN(timestamp) FROM requests), ?)` + empty(p)
	}
	idleSince := func(p string) string { return p + `last_accessed < ?` + empty(p) }
	tx, err := s.beginLocked(ctx)
	if err != nil {
		return fmt.Errorf("delete empty sessions: %w", err)
	}
	defer tx.Rollback()
	if err := reparentBranches(ctx, tx, begunBefore("p."), deleted); err != nil {
		return fmt.Errorf("delete empty sessions: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE `+begunBefore(""), deleted)
	if err != nil {
		return fmt.Errorf("delete empty sessions: %w", err)
	}
	gone, _ := res.RowsAffected()
	if idle {
		since := time.Now().Add(-SessionInFlight).UnixMilli()
		if err := reparentBranches(ctx, tx, idleSince("p."), since); err != nil {
			return fmt.Errorf("delete empty sessions: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE `+idleSince(""), since)
		if err != nil {
			return fmt.Errorf("delete empty sessions: %w", err)
		}
		n, _ := res.RowsAffected()
		gone += n
	}
	if gone > 0 {
		if err := s.dialect.SessionsDeleted(ctx, tx.Tx); err != nil {
			return fmt.Errorf("delete empty sessions: %w", err)
		}
	}
	if err := deleteOldConversations(ctx, tx, deleted); err != nil {
		return fmt.Errorf("delete empty sessions: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete empty sessions: %w", err)
	}
	return nil
}

// oldConversation is the condition that a Conversations API conversation
// c had nothing added since before the oldest call kept (one argument: the
// bound of the calls just deleted, when none is kept): its responses' calls
// are gone, and so would be the items it was given, had they been calls.
const oldConversation = `COALESCE((SELECT MAX(e.created_at) FROM conversation_entries e WHERE e.conversation_id = c.id), c.created_at)
	< COALESCE((SELECT MIN(timestamp) FROM requests), ?)`

// deleteOldConversations deletes, with their entries and item ids, the
// conversations retention has left behind (oldConversation): kept, a conversation whose
// calls retention deleted listed none of its responses, and the items added
// to it stayed for good, outside the limits retention keeps by age and size.
func deleteOldConversations(ctx context.Context, tx *txn, deleted int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM conversation_item_ids WHERE conversation_id IN
		(SELECT c.id FROM conversations c WHERE `+oldConversation+`)`, deleted); err != nil {
		return fmt.Errorf("delete old conversations' item ids: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM conversation_entries WHERE conversation_id IN
		(SELECT c.id FROM conversations c WHERE `+oldConversation+`)`, deleted); err != nil {
		return fmt.Errorf("delete old conversations' entries: %w", err)
	}
	// Their entries gone, each is judged by when it was made, which is no
	// later than its newest entry.
	if _, err := tx.ExecContext(ctx, `DELETE FROM conversations WHERE id IN
		(SELECT c.id FROM conversations c WHERE `+oldConversation+`)`, deleted); err != nil {
		return fmt.Errorf("delete old conversations: %w", err)
	}
	return nil
}

// DeleteOldestOver deletes the oldest calls, in transactions of at most
// batch calls, until the history's size (Dialect.Size) is at most maxBytes,
// and returns how many it deleted. The sessions those calls leave empty go
// with them, and every empty session idle for SessionInFlight
// (deleteEmptySessions; a session row holds its first message: kept, they
// made a limit they outweighed unreachable).
//
// Each round deletes the share of the calls Size counts that the bytes over
// the limit are of the size, and every older call: on PostgreSQL, which
// counts stored bodies alone, a call recorded without bodies counts
// nothing, and the calls without bodies before the first with them were
// rounds that freed nothing, until the sweep gave up over the limit. A round
// that did not make the size go down doubles the next (the size counts
// whole pages on SQLite, where a call smaller than a page frees none until
// its neighbours go too). It ends under the limit, or when no call is left.
//
// Calls are of uneven sizes, and a share counted in calls that holds one
// large call holds newer small ones the limit has room for. Where Size is
// cheap (Dialect.SizeIsCheap: SQLite) a round deletes in batches of 1, 2, 4…
// calls up to batch, measuring after each, and stops once under the limit.
// Elsewhere (PostgreSQL: a scan of every body) a round is measured once, and
// deletes the oldest calls whose bodies free the bytes over the limit as Size
// counts them (freedBefore); the share above is what a round that freed
// nothing falls back to.
func (s *Store) DeleteOldestOver(ctx context.Context, maxBytes int64, batch int) (int, error) {
	if err := s.checkGuard(); err != nil {
		return 0, fmt.Errorf("retention by size: %w", err)
	}
	if batch <= 0 {
		batch = 1000
	}
	counted := `requests q` // the calls Size counts
	if !s.dialect.SizeCountsRows() {
		counted = `requests q JOIN request_bodies qb ON qb.request_id = q.id`
	}
	total, stuck := 0, 0
	last := int64(math.MaxInt64)
	for {
		size, err := s.Size(ctx)
		if err != nil {
			return total, err
		}
		if size <= maxBytes {
			return total, s.deleteEmptySessions(ctx, 0, true)
		}
		if size >= last {
			stuck = min(stuck+1, 40)
		} else {
			stuck = 0
		}
		last = min(last, size)
		var before int64
		if !s.dialect.SizeIsCheap() && stuck == 0 {
			before, err = s.freedBefore(ctx, size-maxBytes)
		} else {
			before, err = s.oldestShare(ctx, float64(size-maxBytes)/float64(size)*math.Exp2(float64(stuck)), counted)
		}
		if err != nil || before == 0 {
			return total, err
		}
		step := batch
		if s.dialect.SizeIsCheap() {
			step = 1
		}
		for ; ; step = min(2*step, batch) {
			n, newest, err := s.deleteBatch(ctx, before, step)
			total += n
			if err != nil {
				return total, err
			}
			if n > 0 {
				if err := s.deleteEmptySessions(ctx, newest+1, false); err != nil {
					return total, err
				}
			}
			if n < step {
				break
			}
			if s.dialect.SizeIsCheap() {
				size, err := s.Size(ctx)
				if err != nil {
					return total, err
				}
				if size <= maxBytes {
					return total, s.deleteEmptySessions(ctx, 0, true)
				}
			}
		}
	}
}

// oldestShare returns the timestamp (Unix ms) one past the last of the
// oldest share (0–1; more is all) of the calls from (a FROM clause naming
// the requests q), or of all calls when from has none; 0 when there is no
// call.
func (s *Store) oldestShare(ctx context.Context, share float64, from string) (int64, error) {
	for _, from := range []string{from, `requests q`} {
		var calls int64
		if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+from).Scan(&calls); err != nil {
			return 0, fmt.Errorf("retention by size: %w", err)
		}
		if calls == 0 {
			continue
		}
		k := int64(min(math.Ceil(share*float64(calls)), float64(calls)))
		var ts int64
		if err := s.read.QueryRowContext(ctx, `SELECT q.timestamp FROM `+from+` ORDER BY q.timestamp LIMIT 1 OFFSET ?`, k-1).Scan(&ts); err != nil {
			return 0, fmt.Errorf("retention by size: %w", err)
		}
		return ts + 1, nil
	}
	return 0, nil
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
	tx, err := s.beginLocked(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("delete requests: %w", err)
	}
	defer tx.Rollback()
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
	if err := subtractCounts(ctx, tx, "q.id IN "+in, ids...); err != nil {
		return 0, 0, fmt.Errorf("delete requests: %w", err)
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
