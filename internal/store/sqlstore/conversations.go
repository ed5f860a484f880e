package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	qp "qwenproxy"
)

var _ qp.ConversationStore = (*Store)(nil)

// CreateConversation stores c and its first items, in one transaction,
// indexing the ids the client gave them (conversation_item_ids).
func (s *Store) CreateConversation(ctx context.Context, c qp.ConversationObject, items []qp.ConversationEntry) error {
	if err := s.checkGuard(); err != nil {
		return fmt.Errorf("create conversation %s: %w", c.ID, err)
	}
	meta, err := json.Marshal(metadataOrEmpty(c.Metadata))
	if err != nil {
		return fmt.Errorf("create conversation %s: %w", c.ID, err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create conversation %s: %w", c.ID, err)
	}
	defer tx.Rollback()
	// items_kept: its items and metadata come kept as the record keeps a
	// call's (migration 0035; KeepConversationItems).
	if _, err := tx.ExecContext(ctx, `INSERT INTO conversations (id, key_id, created_at, metadata, last_seq, items_kept) VALUES (?, ?, ?, ?, ?, ?)`,
		c.ID, c.APIKeyID, c.CreatedAt.UnixMilli(), string(meta), len(items), true); err != nil {
		return fmt.Errorf("create conversation %s: %w", c.ID, err)
	}
	for i, e := range items {
		if err := insertEntry(ctx, tx, c.ID, int64(i+1), e); err != nil {
			return fmt.Errorf("create conversation %s: %w", c.ID, err)
		}
	}
	if err := indexConversationItems(ctx, tx, c.APIKeyID, c.ID, newEntries(1, items)); err != nil {
		return fmt.Errorf("create conversation %s: %w", c.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create conversation %s: %w", c.ID, err)
	}
	return nil
}

func metadataOrEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func insertEntry(ctx context.Context, tx *txn, conversationID string, seq int64, e qp.ConversationEntry) error {
	var item any // NULL for a response
	if e.Item != nil {
		item = string(e.Item)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO conversation_entries (conversation_id, seq, entry_id, created_at, item, response_id) VALUES (?, ?, ?, ?, ?, ?)`,
		conversationID, seq, e.ID, e.CreatedAt.UnixMilli(), item, e.ResponseID); err != nil {
		return fmt.Errorf("add entry %s: %w", e.ID, err)
	}
	return nil
}

// Conversation reads one conversation; qp.ErrNotFound when there is none.
func (s *Store) Conversation(ctx context.Context, id string) (*qp.ConversationObject, error) {
	c := qp.ConversationObject{ID: id}
	var created int64
	var meta string
	err := s.read.QueryRowContext(ctx, `SELECT key_id, created_at, metadata FROM conversations WHERE id = ?`, id).Scan(&c.APIKeyID, &created, &meta)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("conversation %s: %w", id, qp.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read conversation %s: %w", id, err)
	}
	c.CreatedAt = time.UnixMilli(created)
	if err := json.Unmarshal([]byte(meta), &c.Metadata); err != nil {
		return nil, fmt.Errorf("read conversation %s: metadata: %w", id, err)
	}
	return &c, nil
}

// UpdateConversationMetadata replaces the conversation's metadata.
func (s *Store) UpdateConversationMetadata(ctx context.Context, id string, metadata map[string]string) error {
	if err := s.checkGuard(); err != nil {
		return fmt.Errorf("update conversation %s: %w", id, err)
	}
	meta, err := json.Marshal(metadataOrEmpty(metadata))
	if err != nil {
		return fmt.Errorf("update conversation %s: %w", id, err)
	}
	return s.changeOne(ctx, "update conversation "+id, `UPDATE conversations SET metadata = ? WHERE id = ?`, string(meta), id)
}

// DeleteConversation deletes the conversation and its entries (not the
// recorded calls of its responses).
func (s *Store) DeleteConversation(ctx context.Context, id string) error {
	if err := s.checkGuard(); err != nil {
		return fmt.Errorf("delete conversation %s: %w", id, err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete conversation %s: %w", id, err)
	}
	defer tx.Rollback()
	deleted, err := deleteConversationRows(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("delete conversation %s: %w", id, err)
	}
	if !deleted {
		return fmt.Errorf("delete conversation %s: %w", id, qp.ErrNotFound)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete conversation %s: %w", id, err)
	}
	return nil
}

// deleteConversationRows deletes conversation id and its entries in tx,
// and reports whether there was one. The entries (and their item ids) go
// explicitly, not by the foreign key's cascade: SQLite enforces it only
// where foreign_keys is on.
func deleteConversationRows(ctx context.Context, tx *txn, id string) (bool, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM conversation_item_ids WHERE conversation_id = ?`, id); err != nil {
		return false, fmt.Errorf("item ids: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM conversation_entries WHERE conversation_id = ?`, id); err != nil {
		return false, fmt.Errorf("entries: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM conversations WHERE id = ?`, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return err != nil || n > 0, nil
}

// AddConversationEntries appends entries after the conversation's last: its
// row's last_seq, raised in the same transaction, numbers them, so that
// two instances appending at once each get their own numbers. The ids the
// client gave the items among them are indexed under the conversation's key
// (conversation_item_ids).
func (s *Store) AddConversationEntries(ctx context.Context, id string, entries []qp.ConversationEntry) error {
	if err := s.checkGuard(); err != nil {
		return fmt.Errorf("add to conversation %s: %w", id, err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add to conversation %s: %w", id, err)
	}
	defer tx.Rollback()
	var last int64
	var keyID string
	err = tx.QueryRowContext(ctx, `UPDATE conversations SET last_seq = last_seq + ? WHERE id = ? RETURNING last_seq, key_id`, len(entries), id).Scan(&last, &keyID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("add to conversation %s: %w", id, qp.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("add to conversation %s: %w", id, err)
	}
	first := last - int64(len(entries)) + 1
	for i, e := range entries {
		if err := insertEntry(ctx, tx, id, first+int64(i), e); err != nil {
			return fmt.Errorf("add to conversation %s: %w", id, err)
		}
	}
	if err := indexConversationItems(ctx, tx, keyID, id, newEntries(first, entries)); err != nil {
		return fmt.Errorf("add to conversation %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add to conversation %s: %w", id, err)
	}
	return nil
}

// ConversationEntries lists the conversation's entries, oldest first.
func (s *Store) ConversationEntries(ctx context.Context, id string) ([]qp.ConversationEntry, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT seq, entry_id, created_at, item, response_id FROM conversation_entries WHERE conversation_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("read conversation %s: %w", id, err)
	}
	defer rows.Close()
	var out []qp.ConversationEntry
	for rows.Next() {
		var e qp.ConversationEntry
		var created int64
		var item sql.NullString
		if err := rows.Scan(&e.Seq, &e.ID, &created, &item, &e.ResponseID); err != nil {
			return nil, fmt.Errorf("read conversation %s: %w", id, err)
		}
		e.CreatedAt = time.UnixMilli(created)
		if item.Valid {
			e.Item = json.RawMessage(item.String)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read conversation %s: %w", id, err)
	}
	return out, nil
}

// ConversationItem finds the item entry entryID in whichever conversation
// holds it (idx_conversation_entries_entry_id); qp.ErrNotFound when none
// does, or when the entry is a response's.
func (s *Store) ConversationItem(ctx context.Context, entryID string) (conversationID, keyID string, e qp.ConversationEntry, err error) {
	var created int64
	var item string
	err = s.read.QueryRowContext(ctx, `SELECT e.conversation_id, c.key_id, e.seq, e.created_at, e.item FROM conversation_entries e
		JOIN conversations c ON c.id = e.conversation_id WHERE e.entry_id = ? AND e.item IS NOT NULL ORDER BY e.seq LIMIT 1`, entryID).
		Scan(&conversationID, &keyID, &e.Seq, &created, &item)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", e, fmt.Errorf("conversation item %s: %w", entryID, qp.ErrNotFound)
	}
	if err != nil {
		return "", "", e, fmt.Errorf("read conversation item %s: %w", entryID, err)
	}
	e.ID, e.CreatedAt, e.Item = entryID, time.UnixMilli(created), json.RawMessage(item)
	return conversationID, keyID, e, nil
}

// DeleteConversationEntry deletes one entry, and the item ids it carried
// (conversation_item_ids), in one transaction; qp.ErrNotFound when the
// conversation has no such entry.
func (s *Store) DeleteConversationEntry(ctx context.Context, id, entryID string) error {
	what := "delete entry " + entryID + " of conversation " + id
	if err := s.checkGuard(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM conversation_item_ids WHERE conversation_id = ? AND seq IN
		(SELECT seq FROM conversation_entries WHERE conversation_id = ? AND entry_id = ?)`, id, id, entryID); err != nil {
		return fmt.Errorf("%s: item ids: %w", what, err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM conversation_entries WHERE conversation_id = ? AND entry_id = ?`, id, entryID)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%s: %w", what, qp.ErrNotFound)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// LockConversation takes the conversation's lease for token unless another
// token's runs past now: one statement, so that of two instances taking it
// at once one gets it.
func (s *Store) LockConversation(ctx context.Context, id, token string, now, until time.Time) error {
	if err := s.checkGuard(); err != nil {
		return fmt.Errorf("lock conversation %s: %w", id, err)
	}
	res, err := s.write.ExecContext(ctx, `UPDATE conversations SET lock_token = ?, locked_until = ? WHERE id = ? AND (locked_until <= ? OR lock_token = ?)`,
		token, until.UnixMilli(), id, now.UnixMilli(), token)
	if err != nil {
		return fmt.Errorf("lock conversation %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("lock conversation %s: %w", id, err)
	} else if n == 0 {
		if _, err := s.Conversation(ctx, id); err != nil {
			return err // gone, or unreadable
		}
		return fmt.Errorf("lock conversation %s: %w", id, qp.ErrConversationLocked)
	}
	return nil
}

// UnlockConversation ends token's lease; another token's stays.
func (s *Store) UnlockConversation(ctx context.Context, id, token string) error {
	if err := s.checkGuard(); err != nil {
		return fmt.Errorf("unlock conversation %s: %w", id, err)
	}
	if _, err := s.write.ExecContext(ctx, `UPDATE conversations SET lock_token = '', locked_until = 0 WHERE id = ? AND lock_token = ?`, id, token); err != nil {
		return fmt.Errorf("unlock conversation %s: %w", id, err)
	}
	return nil
}

// changeOne runs a statement that changes one row of a conversation;
// qp.ErrNotFound when it changed none.
func (s *Store) changeOne(ctx context.Context, what, query string, args ...any) error {
	res, err := s.write.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%s: %w", what, qp.ErrNotFound)
	}
	return nil
}

// keepBatch is how many conversations KeepConversationItems rewrites in
// one transaction.
const keepBatch = 50

// KeepConversationItems rewrites, with keep, the items added directly and
// the metadata (JSON) of the conversations made before migration 0035,
// which stored them as sent — secrets and image bytes included — and marks
// each done; it returns how many it rewrote. keep must leave what it has
// kept as it is: a conversation another instance, or a call, changes
// meanwhile is rewritten whole again. Rows a call adds meanwhile come kept.
func (s *Store) KeepConversationItems(ctx context.Context, keep func(json []byte) []byte) (int, error) {
	done := 0
	for {
		n, err := s.keepConversationBatch(ctx, keep)
		done += n
		if err != nil || n < keepBatch {
			return done, err
		}
	}
}

func (s *Store) keepConversationBatch(ctx context.Context, keep func([]byte) []byte) (int, error) {
	if err := s.checkGuard(); err != nil {
		return 0, fmt.Errorf("keep conversation items: %w", err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("keep conversation items: %w", err)
	}
	defer tx.Rollback()
	type conversation struct{ id, meta string }
	var batch []conversation
	rows, err := tx.QueryContext(ctx, `SELECT id, metadata FROM conversations WHERE items_kept = ? ORDER BY id LIMIT ?`, false, keepBatch)
	if err != nil {
		return 0, fmt.Errorf("keep conversation items: %w", err)
	}
	for rows.Next() {
		var c conversation
		if err := rows.Scan(&c.id, &c.meta); err != nil {
			rows.Close()
			return 0, fmt.Errorf("keep conversation items: %w", err)
		}
		batch = append(batch, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("keep conversation items: %w", err)
	}
	for _, c := range batch {
		type entry struct {
			seq  int64
			item string
		}
		var entries []entry
		rows, err := tx.QueryContext(ctx, `SELECT seq, item FROM conversation_entries WHERE conversation_id = ? AND item IS NOT NULL`, c.id)
		if err != nil {
			return 0, fmt.Errorf("keep conversation %s: %w", c.id, err)
		}
		for rows.Next() {
			var e entry
			if err := rows.Scan(&e.seq, &e.item); err != nil {
				rows.Close()
				return 0, fmt.Errorf("keep conversation %s: %w", c.id, err)
			}
			entries = append(entries, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("keep conversation %s: %w", c.id, err)
		}
		for _, e := range entries {
			if kept := string(keep([]byte(e.item))); kept != e.item {
				if _, err := tx.ExecContext(ctx, `UPDATE conversation_entries SET item = ? WHERE conversation_id = ? AND seq = ?`, kept, c.id, e.seq); err != nil {
					return 0, fmt.Errorf("keep conversation %s: %w", c.id, err)
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET metadata = ?, items_kept = ? WHERE id = ?`, string(keep([]byte(c.meta))), true, c.id); err != nil {
			return 0, fmt.Errorf("keep conversation %s: %w", c.id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("keep conversation items: %w", err)
	}
	return len(batch), nil
}
