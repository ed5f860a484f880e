package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// copyObjects copies what the Responses and Conversations APIs keep beside
// the calls, once the calls are in dst: the response objects their owners
// deleted (left behind, each was served again from dst) and the
// conversations with their entries (left behind, a client's conv_… ids
// were gone). Run again, it adds what dst lacks and keeps what dst has: a
// conversation dst holds already gets the entries src added since (by
// their place in it), none twice.
func copyObjects(ctx context.Context, src, dst *Store) error {
	if err := copyReferencedItems(ctx, src, dst); err != nil {
		return fmt.Errorf("copy referenced items: %w", err)
	}
	if err := copyDeletedResponses(ctx, src, dst); err != nil {
		return fmt.Errorf("copy deleted responses: %w", err)
	}
	if err := copyConversations(ctx, src, dst); err != nil {
		return fmt.Errorf("copy conversations: %w", err)
	}
	return nil
}

// copyReferencedItems copies the items the references of src's Responses
// calls named (response_referenced_items, kept beside their request bodies)
// to the calls dst holds, a page at a time; a call that has them in dst
// already keeps its own. The blobs are copied as they are: both ends read
// the same compression.
func copyReferencedItems(ctx context.Context, src, dst *Store) error {
	var after int64
	for {
		type row struct {
			id        int64
			requestID string
			items     []byte
		}
		var page []row
		rows, err := src.read.QueryContext(ctx, `SELECT ri.request_id, q.request_id, ri.items FROM response_referenced_items ri
			JOIN requests q ON q.id = ri.request_id WHERE ri.request_id > ? ORDER BY ri.request_id LIMIT ?`, after, copyPage)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.requestID, &r.items); err != nil {
				rows.Close()
				return err
			}
			page = append(page, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		tx, err := dst.write.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for _, r := range page {
			if _, err := tx.ExecContext(ctx, `INSERT INTO response_referenced_items (request_id, items)
				SELECT id, ? FROM requests WHERE request_id = ? ON CONFLICT (request_id) DO NOTHING`, r.items, r.requestID); err != nil {
				tx.Rollback()
				return fmt.Errorf("%s: %w", r.requestID, err)
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		after = page[len(page)-1].id
	}
}

// copyDeletedResponses marks deleted in dst the response objects deleted in
// src whose calls dst holds (a call the copy could not take has no row to
// mark).
func copyDeletedResponses(ctx context.Context, src, dst *Store) error {
	rows, err := src.read.QueryContext(ctx, `SELECT request_id, deleted_at FROM deleted_responses ORDER BY request_id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var requestID string
		var at int64
		if err := rows.Scan(&requestID, &at); err != nil {
			return err
		}
		if _, err := dst.write.ExecContext(ctx, `INSERT INTO deleted_responses (request_id, deleted_at)
			SELECT ?, ? WHERE EXISTS (SELECT 1 FROM requests WHERE request_id = ?) ON CONFLICT (request_id) DO NOTHING`,
			requestID, at, requestID); err != nil {
			return fmt.Errorf("%s: %w", requestID, err)
		}
		// Copied with the call, its item ids go with the mark.
		if err := deleteItemIDsOf(ctx, dst.write, requestID); err != nil {
			return fmt.Errorf("%s: item ids: %w", requestID, err)
		}
	}
	return rows.Err()
}

// copyConversations copies the conversations a page at a time, each with
// its entries in one transaction. A conversation's lock is not copied: no
// call of dst's holds it.
func copyConversations(ctx context.Context, src, dst *Store) error {
	after := ""
	for {
		ids, err := conversationIDsAfter(ctx, src, after, copyPage)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := copyConversation(ctx, src, dst, id); err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
		}
		if len(ids) < copyPage {
			return nil
		}
		after = ids[len(ids)-1]
	}
}

func conversationIDsAfter(ctx context.Context, s *Store, after string, n int) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id FROM conversations WHERE id > ? ORDER BY id LIMIT ?`, after, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// copyConversation copies one conversation and the entries dst lacks of it.
func copyConversation(ctx context.Context, src, dst *Store, id string) error {
	var keyID, metadata string
	var created, lastSeq int64
	if err := src.read.QueryRowContext(ctx, `SELECT key_id, created_at, metadata, last_seq FROM conversations WHERE id = ?`, id).
		Scan(&keyID, &created, &metadata, &lastSeq); err != nil {
		return err
	}
	rows, err := src.read.QueryContext(ctx, `SELECT seq, entry_id, created_at, item, response_id FROM conversation_entries
		WHERE conversation_id = ? ORDER BY seq`, id)
	if err != nil {
		return err
	}
	type entry struct {
		seq, created      int64
		entryID, response string
		item              sql.NullString
	}
	var entries []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.seq, &e.entryID, &e.created, &e.item, &e.response); err != nil {
			rows.Close()
			return err
		}
		entries = append(entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	tx, err := dst.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO conversations (id, key_id, created_at, metadata, last_seq) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, id, keyID, created, metadata, lastSeq); err != nil {
		return err
	}
	var items []indexedEntry
	for _, e := range entries {
		if e.item.Valid {
			items = append(items, indexedEntry{seq: e.seq, created: e.created, item: []byte(e.item.String)})
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO conversation_entries (conversation_id, seq, entry_id, created_at, item, response_id)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (conversation_id, seq) DO NOTHING`, id, e.seq, e.entryID, e.created, e.item, e.response); err != nil {
			return err
		}
	}
	// The ids its items carry are dst's to find too: an id a newer entry
	// of dst's carries keeps naming that one, and a copy run again adds
	// no row (an entry's place names it in both).
	if err := indexConversationItems(ctx, tx, keyID, id, items); err != nil {
		return err
	}
	// Entries are numbered after the last: dst's numbering goes on past
	// the copied ones.
	if _, err := tx.ExecContext(ctx, `UPDATE conversations SET last_seq = ? WHERE id = ? AND last_seq < ?`, lastSeq, id, lastSeq); err != nil {
		return err
	}
	return tx.Commit()
}
