package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	qp "qwenproxy"
	"qwenproxy/internal/responses"
)

// The ids clients gave the input items of their Responses API calls
// (migration 0041, response_item_ids): an item_reference naming one finds
// the calls holding it by the key and the id alone, one index range, at any
// size of the history: one row per id of a key, naming the latest call that
// carried it. Only ids are kept, read from the request body as the
// record keeps it (secrets redacted, responses.OwnItemIDs); the items stay
// in the bodies. A call's rows go with it (ON DELETE CASCADE: retention, a
// deleted session). A deleted response object's rows are handed back to the
// call that carried each id before it (previous_request_id, migration 0043)
// where that call is still there and its response not deleted, else removed
// with its mark: one step back, as the row keeps one call before its own.
// An older call carrying an id whose row went is not indexed again: the
// lookup's other ways (the request's chain, its conversation, the key's
// latest calls) are left to find it.

// indexedPaths are the calls whose input items an item_reference names: a
// response's and a compacted response's.
var indexedPaths = map[string]bool{"/v1/responses": true, "/v1/responses/compact": true}

// callIndex is what a call's write keeps beside its bodies for the
// Responses API: the ids its request gave its own input items, and the
// items its references named (Request.ReferencedItems), compressed.
type callIndex struct {
	itemIDs    []string
	referenced []byte
}

// callIndexes are, for each call, its callIndex, made before the write
// transaction: no item ids for a call whose answer is no response object,
// or that failed with an error status (it serves no items).
func (s *Store) callIndexes(calls []qp.Exchange) []callIndex {
	out := make([]callIndex, len(calls))
	for i := range calls {
		rq, rs := &calls[i].Request, &calls[i].Response
		if indexedPaths[rq.Path] && rs.HTTPStatus == 200 {
			out[i].itemIDs = responses.OwnItemIDs(rq.OpenAIRequest)
		}
		if len(rq.ReferencedItems) > 0 {
			out[i].referenced = s.codec.Compress(rq.ReferencedItems)
		}
	}
	return out
}

// itemIDsPerInsert bounds the rows of one INSERT of item ids (4 values each).
const itemIDsPerInsert = 256

// upsertItemID makes a row of response_item_ids name the call it is given
// when that call is newer (a higher requests row id) than the one it names:
// the row is the latest call carrying the id; an older call (the backfill,
// or a batch committed after a newer one on PostgreSQL) never takes it back.
// The call it names goes to previous_request_id, unless the one given there
// (the batch's own earlier carrier) is newer.
const upsertItemID = ` ON CONFLICT (api_key_id, item_id) DO UPDATE SET request_id = excluded.request_id,
	previous_request_id = CASE WHEN excluded.previous_request_id > response_item_ids.request_id
		THEN excluded.previous_request_id ELSE response_item_ids.request_id END
	WHERE excluded.request_id > response_item_ids.request_id`

// carriers are the calls of a batch that carried an id of a key: the
// newest, and the one before it (0: none), requests row ids.
type carriers struct{ newest, previous int64 }

// carry records that the call id carried the id: it becomes the newest or
// the previous carrier, where it is newer than they are.
func (c *carriers) carry(id int64) {
	switch {
	case id > c.newest:
		c.newest, c.previous = id, c.newest
	case id < c.newest && id > c.previous:
		c.previous = id
	}
}

// previousArg is c.previous as a statement's argument: NULL for none.
func (c carriers) previousArg() any {
	if c.previous == 0 {
		return nil
	}
	return c.previous
}

// itemKey is an item id of a key: a row of response_item_ids.
type itemKey struct{ key, id string }

// insertItemIDs indexes the item ids of the calls written (ids: their
// requests rows), in the batch's transaction: each id of a key once, naming
// the newest of the calls that carried it (and the one before it); and
// stores the items their references named.
func (s *Store) insertItemIDs(ctx context.Context, tx *txn, written []qp.Exchange, ids []int64, items []callIndex) error {
	if err := insertReferenced(ctx, tx, ids, items); err != nil {
		return err
	}
	// One row per id in a statement: PostgreSQL refuses an upsert that
	// meets the same row twice.
	carried := map[itemKey]*carriers{}
	var order []itemKey
	for i := range written {
		for _, id := range items[i].itemIDs {
			k := itemKey{written[i].Request.APIKeyID, id}
			c := carried[k]
			if c == nil {
				c = &carriers{}
				carried[k] = c
				order = append(order, k)
			}
			c.carry(ids[i])
		}
	}
	var args []any
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO response_item_ids (api_key_id, item_id, request_id, previous_request_id) VALUES `+
			values("(?, ?, ?, ?)", len(args)/4)+upsertItemID, args...)
		args = args[:0]
		return err
	}
	for _, k := range order {
		c := carried[k]
		args = append(args, k.key, k.id, c.newest, c.previousArg())
		if len(args) == 4*itemIDsPerInsert {
			if err := flush(); err != nil {
				return fmt.Errorf("insert item ids: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("insert item ids: %w", err)
	}
	return nil
}

// insertReferenced stores the items the references of the calls written
// (ids: their requests rows) named, where they named any.
func insertReferenced(ctx context.Context, tx *txn, ids []int64, items []callIndex) error {
	var args []any
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO response_referenced_items (request_id, items) VALUES `+values("(?, ?)", len(args)/2)+
			` ON CONFLICT (request_id) DO NOTHING`, args...)
		args = args[:0]
		return err
	}
	for i := range items {
		if items[i].referenced == nil {
			continue
		}
		args = append(args, ids[i], items[i].referenced)
		if len(args) == 2*itemIDsPerInsert {
			if err := flush(); err != nil {
				return fmt.Errorf("insert referenced items: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("insert referenced items: %w", err)
	}
	return nil
}

// readReferenced is the items the references of the call whose requests
// row is id named (insertReferenced), nil for none.
func (s *Store) readReferenced(ctx context.Context, db querier, id int64) (json.RawMessage, error) {
	var blob []byte
	err := db.QueryRowContext(ctx, `SELECT items FROM response_referenced_items WHERE request_id = ?`, id).Scan(&blob)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read referenced items: %w", err)
	}
	raw, err := s.codec.Decompress(blob)
	if err != nil {
		return nil, fmt.Errorf("read referenced items: %w", err)
	}
	return raw, nil
}

// selectItemCall is the index's row of an item id of a key: the latest
// call that carried it.
const selectItemCall = `SELECT q.request_id FROM response_item_ids i JOIN requests q ON q.id = i.request_id
	WHERE i.api_key_id = ? AND i.item_id = ?`

// CallWithItem returns the request UUID of the latest call of the key keyID
// ("" without keys) whose input gave one of its items the id itemID, or ""
// for none: one index lookup. Once that call's response object is deleted,
// the call that carried the id before it, if the index knew one (see
// deleteItemIDsOf); none once that call is gone (session, retention), even
// where an older call carried the id too: the index names one call per id.
// Whether the call still serves its response object is the caller's to
// check.
func (s *Store) CallWithItem(ctx context.Context, keyID, itemID string) (string, error) {
	var id string
	err := s.read.QueryRowContext(ctx, selectItemCall, keyID, itemID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read call with item: %w", err)
	}
	return id, nil
}

// ItemIDsIndexed reports whether the item ids of every call are indexed:
// false while those recorded before migration 0041 are still being indexed
// (IndexItemIDs).
func (s *Store) ItemIDsIndexed(ctx context.Context) (bool, error) {
	var left int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM response_item_ids_backfill WHERE through_id < up_to`).Scan(&left)
	if err != nil {
		return false, fmt.Errorf("read item id backfill: %w", err)
	}
	return left == 0, nil
}

// ItemIDProgress is how far IndexItemIDs has come, in requests rows.
type ItemIDProgress struct {
	Done, Total int64
}

// IndexItemIDs indexes the item ids of the calls recorded before migration
// 0041 (the calls after it were indexed as they were written): batch
// Responses calls at a time, their request bodies read and decoded outside
// the short write transaction that stores their ids and how far it came.
// Resumable — a later run goes on from there — and safe beside the
// recorder, deletes and another process doing the same (ids are inserted
// once, only for calls still there whose response object was not deleted).
func (s *Store) IndexItemIDs(ctx context.Context, batch int, progress func(ItemIDProgress)) (ItemIDProgress, error) {
	var p ItemIDProgress
	if batch <= 0 {
		batch = 200
	}
	var through, upTo int64
	err := s.read.QueryRowContext(ctx, `SELECT through_id, up_to FROM response_item_ids_backfill`).Scan(&through, &upTo)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("index item ids: %w", err)
	}
	p.Total, p.Done = upTo, through
	for through < upTo {
		if err := s.checkGuard(); err != nil {
			return p, fmt.Errorf("index item ids: %w", err)
		}
		next, err := s.indexItemIDsAfter(ctx, through, upTo, batch)
		if err != nil {
			return p, fmt.Errorf("index item ids: %w", err)
		}
		through, p.Done = next, next
		if progress != nil {
			progress(p)
		}
	}
	return p, nil
}

// indexItemIDsAfter indexes the Responses calls after the requests row id
// after (up to upTo, at most batch of them) and returns the last row id
// done.
func (s *Store) indexItemIDsAfter(ctx context.Context, after, upTo int64, batch int) (int64, error) {
	type call struct {
		id     int64
		keyID  string
		status int
		body   storedBody
		raw    json.RawMessage
	}
	var calls []*call
	last := upTo
	err := func() error {
		tx, err := s.snapshot(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		rows, err := tx.QueryContext(ctx, `SELECT q.id, COALESCE(q.api_key_id, ''), COALESCE(r.http_status, 0), qb.openai_request, qb.openai_request_z
			FROM requests q JOIN request_bodies qb ON qb.request_id = q.id LEFT JOIN responses r ON r.request_id = q.id
			WHERE q.id > ? AND q.id <= ? AND q.path IN ('/v1/responses', '/v1/responses/compact') ORDER BY q.id LIMIT ?`, after, upTo, batch)
		if err != nil {
			return err
		}
		for rows.Next() {
			c := &call{}
			if err := rows.Scan(append([]any{&c.id, &c.keyID, &c.status}, c.body.dest()...)...); err != nil {
				rows.Close()
				return err
			}
			calls = append(calls, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(calls) == batch {
			last = calls[len(calls)-1].id
		}
		reads := make([]bodyRead, len(calls))
		for i, c := range calls {
			reads[i] = bodyRead{from: &c.body, to: &c.raw}
		}
		return s.readBodies(ctx, tx, reads)
	}()
	if err != nil {
		return after, err
	}
	// Each id of a key once, under the newest of the batch's calls that
	// carried it (they are in id order).
	newest := map[itemKey]int64{}
	var order []itemKey
	for _, c := range calls {
		if c.status != 200 {
			continue
		}
		for _, id := range responses.OwnItemIDs(c.raw) {
			k := itemKey{c.keyID, id}
			if _, seen := newest[k]; !seen {
				order = append(order, k)
			}
			newest[k] = c.id
		}
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return after, err
	}
	defer tx.Rollback()
	// One row at a time, each only for a call still there whose response
	// object was not deleted meanwhile, and never over a newer call's (one
	// written since the migration, which the row names already).
	for _, k := range order {
		if _, err := tx.ExecContext(ctx, `INSERT INTO response_item_ids (api_key_id, item_id, request_id)
			SELECT ?, ?, q.id FROM requests q WHERE q.id = ?
			AND NOT EXISTS (SELECT 1 FROM deleted_responses d WHERE d.request_id = q.request_id)`+upsertItemID, k.key, k.id, newest[k]); err != nil {
			return after, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE response_item_ids_backfill SET through_id = ? WHERE through_id < ?`, last, last); err != nil {
		return after, err
	}
	return last, tx.Commit()
}

// deleteItemIDsOf takes the item ids of the call requestID (its UUID) from
// it: its response object was deleted, and serves no item. Each row whose
// previous carrier (previous_request_id) is still there with its response
// object is handed back to it, with none before it (one step: the index
// keeps one call before the one it names); the others are removed. A read
// of the rows of one call (indexed) and of each previous carrier by its id:
// bounded by the ids the call carried, as the delete always was.
func deleteItemIDsOf(ctx context.Context, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, requestID string) error {
	if _, err := q.ExecContext(ctx, `UPDATE response_item_ids SET request_id = previous_request_id, previous_request_id = NULL
		WHERE request_id = (SELECT id FROM requests WHERE request_id = ?) AND EXISTS (SELECT 1 FROM requests p
			WHERE p.id = response_item_ids.previous_request_id
			AND NOT EXISTS (SELECT 1 FROM deleted_responses d WHERE d.request_id = p.request_id))`, requestID); err != nil {
		return fmt.Errorf("hand back: %w", err)
	}
	_, err := q.ExecContext(ctx, `DELETE FROM response_item_ids WHERE request_id = (SELECT id FROM requests WHERE request_id = ?)`, requestID)
	return err
}
