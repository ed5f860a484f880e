package sqlstore

import (
	"context"
	"fmt"
	"time"

	"qwenproxy/internal/store/bodies"
)

// releaseParts takes the calls matching cond (on requests q), about to be
// deleted, off the use counts of the parts their bodies use, and returns
// those parts: the candidates for deleteParts.
func (s *Store) releaseParts(ctx context.Context, tx *txn, cond string, args ...any) ([]any, error) {
	rows, err := tx.QueryContext(ctx, `SELECT q.id, qb.openai_request_z, qb.qwen_request_z, rb.openai_response_z, rb.qwen_response_z
		FROM requests q LEFT JOIN request_bodies qb ON qb.request_id = q.id
		LEFT JOIN responses r ON r.request_id = q.id LEFT JOIN response_bodies rb ON rb.response_id = r.id WHERE `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("find body parts of deleted calls: %w", err)
	}
	uses := map[int64]int{}
	for rows.Next() {
		var id int64
		var blobs [4][]byte
		if err := rows.Scan(&id, &blobs[0], &blobs[1], &blobs[2], &blobs[3]); err != nil {
			rows.Close()
			return nil, fmt.Errorf("find body parts of deleted calls: %w", err)
		}
		parts, err := partsOf(blobs)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("body of deleted call %d: %w", id, err)
		}
		for _, part := range parts {
			uses[part]--
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find body parts of deleted calls: %w", err)
	}
	if err := s.addUses(ctx, tx, uses); err != nil {
		return nil, err
	}
	ids := make([]any, 0, len(uses))
	for id := range uses {
		ids = append(ids, id)
	}
	return ids, nil
}

// deleteParts removes, of the candidate parts (those of calls just
// deleted), the ones no call uses any more and none has used within the
// backend's grace: what a delete frees, at the cost of what it deleted.
func (s *Store) deleteParts(ctx context.Context, tx *txn, ids []any) error {
	cutoff := time.Now().Add(-s.dialect.PartGrace()).UnixMilli()
	for len(ids) > 0 {
		n := min(len(ids), 500)
		if _, err := tx.ExecContext(ctx, `DELETE FROM body_parts WHERE id IN (`+values("?", n)+`) AND last_used <= ?
			AND id IN (SELECT part_id FROM body_part_uses WHERE uses <= 0)`, append(ids[:n:n], cutoff)...); err != nil {
			return fmt.Errorf("delete unused body parts: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// PartGrace is how long a part stays after its last use even when no call
// uses it (see partTouch).
func (s *Store) PartGrace() time.Duration { return s.dialect.PartGrace() }

// DeleteUnusedParts removes the body parts no call uses any more and none
// has used since usedBefore, and returns how many it removed. Deletes remove
// the parts they free themselves (deleteParts); this sweeps up those a
// delete had to leave because their last use was inside the backend's grace
// (PostgreSQL only: SQLite's grace is 0). The parts no call uses are few
// and indexed, so a sweep costs little however large the history.
func (s *Store) DeleteUnusedParts(ctx context.Context, usedBefore time.Time) (int, error) {
	if err := s.checkGuard(); err != nil {
		return 0, err
	}
	tx, err := s.beginLocked(ctx)
	if err != nil {
		return 0, fmt.Errorf("delete unused body parts: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM body_parts WHERE last_used < ?
		AND id IN (SELECT part_id FROM body_part_uses WHERE uses <= 0)`, usedBefore.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("delete unused body parts: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete unused body parts: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("delete unused body parts: %w", err)
	}
	return int(n), nil
}

// partsOf is the body parts a call's skeletons (its four compressed bodies,
// nil where it has none) reference, each once.
func partsOf(skeletons [4][]byte) ([]int64, error) {
	var parts []int64
	seen := map[int64]bool{}
	for _, skel := range skeletons {
		if skel == nil {
			continue
		}
		refs, _, err := bodies.Unpack(skel)
		if err != nil {
			return nil, err
		}
		for _, r := range refs {
			if !seen[r.ID] {
				seen[r.ID] = true
				parts = append(parts, r.ID)
			}
		}
	}
	return parts, nil
}
