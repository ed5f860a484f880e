package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// ReencodeProgress is how far ReencodeBodies has come: bodies rows moved
// into parts and skeletons, of those left when it started.
type ReencodeProgress struct {
	Done, Total int
}

// ReencodeBodies moves the bodies written before migration 0008 (whole, as
// text) into parts and skeletons, batch rows (at most reencodeBatchBytes
// of bodies) per transaction, encoded before it, so that the recorder is
// never held off for long. Reads return the same JSON before,
// during and after. It is resumable — a later run finds what is left — and
// safe to run in several processes at once (a row is moved once).
func (s *Store) ReencodeBodies(ctx context.Context, batch int, progress func(ReencodeProgress)) (ReencodeProgress, error) {
	if err := s.checkGuard(); err != nil {
		return ReencodeProgress{}, err
	}
	var p ReencodeProgress
	if batch <= 0 {
		batch = 200
	}
	if err := s.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM request_bodies WHERE openai_request IS NOT NULL OR qwen_request IS NOT NULL) +
		(SELECT COUNT(*) FROM response_bodies WHERE openai_response IS NOT NULL OR qwen_response IS NOT NULL)`).Scan(&p.Total); err != nil {
		return p, fmt.Errorf("re-encode bodies: count: %w", err)
	}
	if p.Total == 0 {
		return p, nil
	}
	for _, t := range []reencodeTable{
		{name: "request", split: true, query: `SELECT request_id, request_id, openai_request, qwen_request FROM request_bodies
			WHERE request_id > ? AND (openai_request IS NOT NULL OR qwen_request IS NOT NULL) ORDER BY request_id LIMIT ?`,
			update: `UPDATE request_bodies SET openai_request = NULL, qwen_request = NULL, openai_request_z = ?, qwen_request_z = ?
			WHERE request_id = ? AND (openai_request IS NOT NULL OR qwen_request IS NOT NULL)`,
			pending: pendingRequestBodies},
		{name: "response", query: `SELECT rb.response_id, r.request_id, rb.openai_response, rb.qwen_response
			FROM response_bodies rb JOIN responses r ON r.id = rb.response_id
			WHERE rb.response_id > ? AND (rb.openai_response IS NOT NULL OR rb.qwen_response IS NOT NULL) ORDER BY rb.response_id LIMIT ?`,
			update: `UPDATE response_bodies SET openai_response = NULL, qwen_response = NULL, openai_response_z = ?, qwen_response_z = ?
			WHERE response_id = ? AND (openai_response IS NOT NULL OR qwen_response IS NOT NULL)`,
			pending: pendingResponseBodies},
	} {
		var after int64
		for {
			n, last, err := s.reencodeBatch(ctx, t, after, batch)
			if err != nil {
				return p, fmt.Errorf("re-encode %s bodies: %w", t.name, err)
			}
			if n == 0 && last == after {
				break
			}
			p.Done += n
			after = last
			if progress != nil {
				progress(p)
			}
		}
	}
	return p, nil
}

type reencodeTable struct {
	name, query, update string
	// pending selects, of the keys given, the rows still holding text.
	pending func(n int) string
	split   bool // the first body column is the client's request (see bodyWrite.split)
}

// reencodeBatchBytes bounds the bodies one batch reads and encodes (besides
// its rows): an old history may hold bodies of up to RECORD_MAX_BODY_BYTES.
const reencodeBatchBytes = 16 << 20

// reencodeBatch moves the rows after the given key and returns how many it
// moved and the last key it read. It reads and encodes them (compression
// and hashing, most of the cost) before its write transaction, as the
// recorder does, so that the write lock — every instance's writers wait for
// it — is held only to store them; in it, the rows another instance moved
// or a delete removed meanwhile are left out, so that no use of a part is
// counted for them.
func (s *Store) reencodeBatch(ctx context.Context, t reencodeTable, after int64, batch int) (int, int64, error) {
	rows, err := s.read.QueryContext(ctx, t.query, after, batch)
	if err != nil {
		return 0, after, err
	}
	type row struct {
		key  int64
		a, b *bodyWrite
	}
	var list []row
	size := 0
	for size < reencodeBatchBytes && rows.Next() {
		var key, requestID int64
		var a, b sql.NullString
		if err := rows.Scan(&key, &requestID, &a, &b); err != nil {
			rows.Close()
			return 0, after, err
		}
		r := row{key: key}
		if a.Valid {
			r.a = &bodyWrite{requestID: requestID, raw: []byte(a.String), split: t.split}
		}
		if b.Valid {
			r.b = &bodyWrite{requestID: requestID, raw: []byte(b.String)}
		}
		size += len(a.String) + len(b.String)
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, after, err
	}
	if len(list) == 0 {
		return 0, after, nil
	}
	var all []*bodyWrite
	for _, r := range list {
		for _, b := range []*bodyWrite{r.a, r.b} {
			if b != nil {
				all = append(all, b)
			}
		}
	}
	if s.reencodeEncoding != nil {
		s.reencodeEncoding()
	}
	s.encodeAll(all)

	tx, err := s.beginLocked(ctx)
	if err != nil {
		return 0, after, err
	}
	defer tx.Rollback()
	keys := make([]any, len(list))
	for i, r := range list {
		keys[i] = r.key
	}
	still := map[int64]bool{}
	if err := queryIn(ctx, tx, keys, t.pending, func(rows *sql.Rows) error {
		var key int64
		if err := rows.Scan(&key); err != nil {
			return err
		}
		still[key] = true
		return nil
	}); err != nil {
		return 0, after, err
	}
	var move []*bodyWrite
	for _, r := range list {
		if still[r.key] {
			for _, b := range []*bodyWrite{r.a, r.b} {
				if b != nil {
					move = append(move, b)
				}
			}
		}
	}
	if err := s.storeParts(ctx, tx, move); err != nil {
		return 0, after, err
	}
	blob := func(b *bodyWrite) any {
		if b == nil {
			return nil
		}
		return b.blob
	}
	moved := 0
	for _, r := range list {
		if !still[r.key] {
			continue
		}
		res, err := tx.ExecContext(ctx, t.update, blob(r.a), blob(r.b), r.key)
		if err != nil {
			return 0, after, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			moved++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, after, err
	}
	return moved, list[len(list)-1].key, nil
}

var pendingRequestBodies = byRows(func(n int) string {
	return `SELECT request_id FROM request_bodies WHERE request_id IN (` + values(`?`, n) + `)
		AND (openai_request IS NOT NULL OR qwen_request IS NOT NULL)`
})

var pendingResponseBodies = byRows(func(n int) string {
	return `SELECT response_id FROM response_bodies WHERE response_id IN (` + values(`?`, n) + `)
		AND (openai_response IS NOT NULL OR qwen_response IS NOT NULL)`
})
