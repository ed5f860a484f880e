package sqlstore

import (
	"context"
	"fmt"
)

// freedBefore plans a round of retention by size where measuring the size
// is costly (Dialect.SizeIsCheap false: PostgreSQL, which reads every stored
// body to measure it): it walks the oldest calls, counting what deleting each
// would free as Dialect.Size counts it — its own body rows and the items its
// item_references named (response_referenced_items), and each body part
// whose last use it is — and returns the timestamp (Unix ms) one past
// the call at which the bytes freed reach need, or one past the newest call
// when all of them free less; 0 when there is no call.
//
// Calls are of uneven sizes: a share of the calls, counted in calls, that
// holds one large call holds newer small ones the limit has room for. The
// plan reads at most the calls it deletes (in pages), and their parts' use
// counts and sizes once each.
func (s *Store) freedBefore(ctx context.Context, need int64) (int64, error) {
	const page = 500
	parts := map[int64]*plannedPart{}
	var freed, after int64
	afterID := int64(-1)
	for {
		calls, err := s.oldestBodies(ctx, after, afterID, page)
		if err != nil {
			return 0, err
		}
		if err := s.loadParts(ctx, calls, parts); err != nil {
			return 0, err
		}
		for _, c := range calls {
			freed += c.rowBytes
			for _, id := range c.parts {
				p := parts[id]
				p.uses--
				if p.uses == 0 {
					freed += p.size
				}
			}
			after, afterID = c.timestamp, c.id
			if freed >= need {
				return c.timestamp + 1, nil
			}
		}
		if len(calls) < page {
			if afterID < 0 {
				return 0, nil
			}
			return after + 1, nil
		}
	}
}

// plannedCall is what deleting one call frees: its body rows' bytes (with
// its kept referenced items') and the parts its bodies use (each once).
type plannedCall struct {
	id, timestamp int64
	rowBytes      int64
	parts         []int64
}

// plannedPart is a body part as the plan counts it: the uses left once the
// calls walked so far are gone, and its stored bytes.
type plannedPart struct {
	uses, size int64
}

// oldestBodies reads up to limit calls after (timestamp, id) in the order
// retention deletes them, with their body rows' and kept referenced items'
// stored bytes and the parts their skeletons reference.
func (s *Store) oldestBodies(ctx context.Context, after, afterID int64, limit int) ([]plannedCall, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT q.id, q.timestamp,
		qb.openai_request_z, qb.qwen_request_z, rb.openai_response_z, rb.qwen_response_z,
		COALESCE(octet_length(qb.openai_request_z), 0) + COALESCE(octet_length(qb.qwen_request_z), 0) +
		COALESCE(octet_length(qb.openai_request), 0) + COALESCE(octet_length(qb.qwen_request), 0) +
		COALESCE(octet_length(rb.openai_response_z), 0) + COALESCE(octet_length(rb.qwen_response_z), 0) +
		COALESCE(octet_length(rb.openai_response), 0) + COALESCE(octet_length(rb.qwen_response), 0) +
		COALESCE(octet_length(ri.items), 0)
		FROM requests q LEFT JOIN request_bodies qb ON qb.request_id = q.id
		LEFT JOIN response_referenced_items ri ON ri.request_id = q.id
		LEFT JOIN responses r ON r.request_id = q.id LEFT JOIN response_bodies rb ON rb.response_id = r.id
		WHERE q.timestamp > ? OR (q.timestamp = ? AND q.id > ?)
		ORDER BY q.timestamp, q.id LIMIT ?`, after, after, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("retention by size: read the oldest calls: %w", err)
	}
	defer rows.Close()
	var calls []plannedCall
	for rows.Next() {
		var c plannedCall
		var blobs [4][]byte
		if err := rows.Scan(&c.id, &c.timestamp, &blobs[0], &blobs[1], &blobs[2], &blobs[3], &c.rowBytes); err != nil {
			return nil, fmt.Errorf("retention by size: read the oldest calls: %w", err)
		}
		parts, err := partsOf(blobs)
		if err != nil {
			return nil, fmt.Errorf("retention by size: body of call %d: %w", c.id, err)
		}
		c.parts = parts
		calls = append(calls, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("retention by size: read the oldest calls: %w", err)
	}
	return calls, nil
}

// loadParts adds to parts each part calls use that it does not hold yet,
// with its use count and stored bytes. A part Size does not count (no uses
// left: its calls were deleted and it waits for its grace) is given uses
// that never reach 0, so that it frees nothing.
func (s *Store) loadParts(ctx context.Context, calls []plannedCall, parts map[int64]*plannedPart) error {
	var ids []any
	for _, c := range calls {
		for _, id := range c.parts {
			if _, met := parts[id]; !met {
				parts[id] = &plannedPart{uses: -1}
				ids = append(ids, id)
			}
		}
	}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		rows, err := s.read.QueryContext(ctx, `SELECT p.id, u.uses, octet_length(p.data) FROM body_parts p
			JOIN body_part_uses u ON u.part_id = p.id WHERE u.uses > 0 AND p.id IN (`+values("?", n)+`)`, ids[:n]...)
		if err != nil {
			return fmt.Errorf("retention by size: read body parts: %w", err)
		}
		for rows.Next() {
			p := &plannedPart{}
			var id int64
			if err := rows.Scan(&id, &p.uses, &p.size); err != nil {
				rows.Close()
				return fmt.Errorf("retention by size: read body parts: %w", err)
			}
			parts[id] = p
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("retention by size: read body parts: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}
