package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/responses"
)

// The ids clients gave the items they added to a conversation straight
// (migration 0043, conversation_item_ids): an item_reference from any call
// of the conversation's key names one, as OpenAI resolves an item id across
// the project, not only from that conversation. One row per id of a key,
// naming the latest entry that carried it: a client adding an item with an
// id it used before moves the row, adds none. A row goes with its entry (a
// deleted item or conversation, retention); an older entry carrying the same
// id is not indexed again (its conversation still lists it).

// upsertConversationItemID makes a row name the entry it is given unless
// the row names a newer one (the backfill's older entries never take it
// back).
const upsertConversationItemID = ` ON CONFLICT (api_key_id, item_id) DO UPDATE
	SET conversation_id = excluded.conversation_id, seq = excluded.seq, created_at = excluded.created_at
	WHERE excluded.created_at >= conversation_item_ids.created_at`

// indexedEntry is an entry of a conversation as the index reads it.
type indexedEntry struct {
	seq     int64
	created int64 // Unix ms
	item    []byte
}

// entryItemIDs are the ids a client gave an item added to a conversation
// (none for a response's entry, an item_reference, an id too long to
// index): read as a Responses call's own input items' are.
func entryItemIDs(item []byte) []string {
	if len(item) == 0 {
		return nil
	}
	body := make([]byte, 0, len(item)+11)
	body = append(append(append(body, `{"input":[`...), item...), ']', '}')
	return responses.OwnItemIDs(body)
}

// indexConversationItems indexes, in tx, the ids the client gave the items
// among entries of conversation convID, made by the key keyID: each id
// once, naming the last entry that carried it.
func indexConversationItems(ctx context.Context, tx *txn, keyID, convID string, entries []indexedEntry) error {
	latest := map[string]indexedEntry{}
	var order []string
	for _, e := range entries {
		for _, id := range entryItemIDs(e.item) {
			if _, seen := latest[id]; !seen {
				order = append(order, id)
			}
			latest[id] = e // entries come in their order: the last wins
		}
	}
	// One statement per id: an add carries few items, and one statement
	// may meet a row only once on PostgreSQL.
	for _, id := range order {
		e := latest[id]
		if _, err := tx.ExecContext(ctx, `INSERT INTO conversation_item_ids (api_key_id, item_id, conversation_id, seq, created_at) VALUES (?, ?, ?, ?, ?)`+
			upsertConversationItemID, keyID, id, convID, e.seq, e.created); err != nil {
			return fmt.Errorf("index item id %s: %w", id, err)
		}
	}
	return nil
}

// newEntries are the entries as the index reads them, numbered from first.
func newEntries(first int64, entries []qp.ConversationEntry) []indexedEntry {
	out := make([]indexedEntry, len(entries))
	for i, e := range entries {
		out[i] = indexedEntry{seq: first + int64(i), created: e.CreatedAt.UnixMilli(), item: e.Item}
	}
	return out
}

// ConversationItemWithID finds the latest item added to a conversation of
// the key keyID ("" without keys) that the client gave the id itemID: one
// index lookup. qp.ErrNotFound when none (an entry deleted since takes its
// row with it, even where an older entry carried the id too).
func (s *Store) ConversationItemWithID(ctx context.Context, keyID, itemID string) (conversationID string, e qp.ConversationEntry, err error) {
	var created int64
	var item string
	err = s.read.QueryRowContext(ctx, `SELECT e.conversation_id, e.seq, e.entry_id, e.created_at, e.item FROM conversation_item_ids i
		JOIN conversation_entries e ON e.conversation_id = i.conversation_id AND e.seq = i.seq
		WHERE i.api_key_id = ? AND i.item_id = ? AND e.item IS NOT NULL`, keyID, itemID).
		Scan(&conversationID, &e.Seq, &e.ID, &created, &item)
	if errors.Is(err, sql.ErrNoRows) {
		return "", e, fmt.Errorf("conversation item with id %s: %w", itemID, qp.ErrNotFound)
	}
	if err != nil {
		return "", e, fmt.Errorf("read conversation item with id %s: %w", itemID, err)
	}
	e.CreatedAt, e.Item = time.UnixMilli(created), json.RawMessage(item)
	return conversationID, e, nil
}

// conversationIndexBatch is how many conversations IndexConversationItemIDs
// indexes in one transaction.
const conversationIndexBatch = 50

// IndexConversationItemIDs indexes the ids of the items added to the
// conversations made before migration 0043 (the entries added since were
// indexed as they were written), a batch of conversations per transaction,
// in the order of their ids; it returns how many it read. Resumable, and
// safe beside new entries and another process doing the same: an older
// entry never takes a newer one's row.
func (s *Store) IndexConversationItemIDs(ctx context.Context) (int, error) {
	done := 0
	for {
		n, more, err := s.indexConversationBatch(ctx)
		done += n
		if err != nil || !more {
			return done, err
		}
	}
}

// indexConversationBatch indexes the next conversations after the
// backfill's mark, moves the mark past them, and deletes it after the
// last; more says whether any is left.
func (s *Store) indexConversationBatch(ctx context.Context) (n int, more bool, err error) {
	if err := s.checkGuard(); err != nil {
		return 0, false, fmt.Errorf("index conversation item ids: %w", err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("index conversation item ids: %w", err)
	}
	defer tx.Rollback()
	var after string
	err = tx.QueryRowContext(ctx, `SELECT after_id FROM conversation_item_ids_backfill`).Scan(&after)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil // none left, or none to do
	}
	if err != nil {
		return 0, false, fmt.Errorf("index conversation item ids: %w", err)
	}
	type conversation struct{ id, keyID string }
	var batch []conversation
	rows, err := tx.QueryContext(ctx, `SELECT id, key_id FROM conversations WHERE id > ? ORDER BY id LIMIT ?`, after, conversationIndexBatch)
	if err != nil {
		return 0, false, fmt.Errorf("index conversation item ids: %w", err)
	}
	for rows.Next() {
		var c conversation
		if err := rows.Scan(&c.id, &c.keyID); err != nil {
			rows.Close()
			return 0, false, fmt.Errorf("index conversation item ids: %w", err)
		}
		batch = append(batch, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, false, fmt.Errorf("index conversation item ids: %w", err)
	}
	for _, c := range batch {
		entries, err := itemEntries(ctx, tx, c.id)
		if err != nil {
			return 0, false, fmt.Errorf("index conversation %s: %w", c.id, err)
		}
		if err := indexConversationItems(ctx, tx, c.keyID, c.id, entries); err != nil {
			return 0, false, fmt.Errorf("index conversation %s: %w", c.id, err)
		}
	}
	more = len(batch) == conversationIndexBatch
	if more {
		_, err = tx.ExecContext(ctx, `UPDATE conversation_item_ids_backfill SET after_id = ?`, batch[len(batch)-1].id)
	} else {
		_, err = tx.ExecContext(ctx, `DELETE FROM conversation_item_ids_backfill`)
	}
	if err != nil {
		return 0, false, fmt.Errorf("index conversation item ids: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("index conversation item ids: %w", err)
	}
	return len(batch), more, nil
}

// itemEntries are the entries of conversation convID that are items added
// straight (not responses), in their order.
func itemEntries(ctx context.Context, tx *txn, convID string) ([]indexedEntry, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, created_at, item FROM conversation_entries WHERE conversation_id = ? AND item IS NOT NULL ORDER BY seq`, convID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []indexedEntry
	for rows.Next() {
		var e indexedEntry
		var item string
		if err := rows.Scan(&e.seq, &e.created, &item); err != nil {
			return nil, err
		}
		e.item = []byte(item)
		out = append(out, e)
	}
	return out, rows.Err()
}
