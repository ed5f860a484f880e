package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// convItem is an item entry whose item is JSON item.
func convItem(entryID, item string, at time.Time) qp.ConversationEntry {
	return qp.ConversationEntry{ID: entryID, CreatedAt: at, Item: []byte(item)}
}

// convItemWithID is the conversation and entry ConversationItemWithID finds
// for key and id, "" for none.
func convItemWithID(t *testing.T, st *sqlstore.Store, key, id string) (string, string) {
	t.Helper()
	conv, e, err := st.ConversationItemWithID(context.Background(), key, id)
	if errors.Is(err, qp.ErrNotFound) {
		return "", ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return conv, e.ID
}

// The ids a client gave the items it added to a conversation straight
// (made with it, or added after) are indexed under the conversation's key
// (migration 0043): until 2026-12-06 they were found only from that
// conversation, never by a call outside it, where OpenAI resolves an item
// id across the project. One row per id of a key, naming the latest entry
// that carried it: an id added again moves the row, adds none. An
// item_reference, an item without an id, a response's entry, another key's
// conversation are not indexed under the key; a row goes with its entry (a
// deleted item, a deleted conversation, retention).
func TestConversationItemIDsAreIndexedByKeyAndGoWithTheirEntries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		if err := st.CreateConversation(ctx, qp.ConversationObject{ID: "conv_1", APIKeyID: "key-1", CreatedAt: at}, []qp.ConversationEntry{
			convItem("e1", `{"type":"message","id":"msg_x","role":"user","content":"first x"}`, at),
			convItem("e2", `{"type":"item_reference","id":"msg_ref"}`, at),
			convItem("e3", `{"role":"user","content":"no id"}`, at),
			convItem("e4", `{"type":"function_call","id":"fc_1","call_id":"c","name":"f","arguments":"{}"}`, at),
		}); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateConversation(ctx, qp.ConversationObject{ID: "conv_2", APIKeyID: "key-2", CreatedAt: at}, []qp.ConversationEntry{
			convItem("f1", `{"type":"message","id":"msg_x","role":"user","content":"key-2's x"}`, at),
		}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ key, id, conv, entry string }{
			{"key-1", "msg_x", "conv_1", "e1"}, {"key-1", "fc_1", "conv_1", "e4"}, {"key-2", "msg_x", "conv_2", "f1"},
			{"key-1", "msg_ref", "", ""}, {"key-2", "fc_1", "", ""},
		} {
			if conv, entry := convItemWithID(t, st, c.key, c.id); conv != c.conv || entry != c.entry {
				t.Fatalf("%s's %s: %q %q, want %q %q", c.key, c.id, conv, entry, c.conv, c.entry)
			}
		}
		// Added again (and a response's entry, which carries no item),
		// the id names its latest entry; the index grows by new ids only.
		later := at.Add(time.Minute)
		if err := st.AddConversationEntries(ctx, "conv_1", []qp.ConversationEntry{
			convItem("e5", `{"type":"message","id":"msg_y","role":"user","content":"y"}`, later),
			convItem("e6", `{"type":"message","id":"msg_x","role":"user","content":"second x"}`, later),
			{ID: "req-9", CreatedAt: later, ResponseID: "resp_9"},
		}); err != nil {
			t.Fatal(err)
		}
		if conv, entry := convItemWithID(t, st, "key-1", "msg_x"); conv != "conv_1" || entry != "e6" {
			t.Fatalf("key-1's msg_x after it was added again: %q %q, want e6", conv, entry)
		}
		if n := count(t, st, `SELECT COUNT(*) FROM conversation_item_ids`); n != 4 {
			t.Fatalf("%d rows indexed, want 4 (one per id of a key)", n)
		}
		// Its entry deleted, the id names nothing (its older entry is in
		// its conversation still).
		if err := st.DeleteConversationEntry(ctx, "conv_1", "e6"); err != nil {
			t.Fatal(err)
		}
		if conv, _ := convItemWithID(t, st, "key-1", "msg_x"); conv != "" {
			t.Fatalf("msg_x after its entry was deleted: %q", conv)
		}
		if err := st.DeleteConversationEntry(ctx, "conv_1", "e6"); !errors.Is(err, qp.ErrNotFound) {
			t.Fatalf("an entry deleted twice: %v", err)
		}
		if err := st.DeleteConversation(ctx, "conv_1"); err != nil {
			t.Fatal(err)
		}
		if n := count(t, st, `SELECT COUNT(*) FROM conversation_item_ids WHERE api_key_id = 'key-1'`); n != 0 {
			t.Fatalf("%d rows of a deleted conversation's items", n)
		}
		// Retention: a conversation left behind goes with its rows.
		s, c := oneTurn("s1", at.Add(2*time.Hour))
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}, Exchanges: []qp.Exchange{c}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DeleteRequestsBefore(ctx, at.Add(time.Hour), 100, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Conversation(ctx, "conv_2"); !errors.Is(err, qp.ErrNotFound) {
			t.Fatalf("conv_2 after retention: %v", err)
		}
		if n := count(t, st, `SELECT COUNT(*) FROM conversation_item_ids`); n != 0 {
			t.Fatalf("%d rows left by retention", n)
		}
	})
}

// A database whose conversations were made before migration 0043 finds the
// ids their items carry once the server has started
// (IndexConversationItemIDs); an id an entry added after the migration
// carried keeps naming that entry: the backfill's older entries never take
// its row. A copy carries the index.
func TestMigration0043IndexesTheItemIDsOfEarlierConversations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		for i, id := range []string{"conv_a", "conv_b", "conv_c"} {
			if err := st.CreateConversation(ctx, qp.ConversationObject{ID: id, APIKeyID: "key-1", CreatedAt: at}, []qp.ConversationEntry{
				convItem(id+"-1", `{"type":"message","id":"msg_`+id+`","role":"user","content":"x"}`, at.Add(time.Duration(i)*time.Second)),
				convItem(id+"-2", `{"type":"message","id":"msg_shared","role":"user","content":"x"}`, at.Add(time.Duration(i)*time.Second)),
			}); err != nil {
				t.Fatal(err)
			}
		}
		// The database as it was before the migration.
		for _, stmt := range []string{`DROP TABLE conversation_item_ids`, `DROP TABLE conversation_item_ids_backfill`,
			`ALTER TABLE response_item_ids DROP COLUMN previous_request_id`, `DELETE FROM schema_migrations WHERE version = 43`} {
			if _, err := st.DB().ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if n, err := st.Migrate(ctx); err != nil || n != 1 {
			t.Fatalf("migrated %d, %v; want migration 0043 applied", n, err)
		}
		st = storetest.Open(t, dbURL)
		if conv, _ := convItemWithID(t, st, "key-1", "msg_conv_a"); conv != "" {
			t.Fatalf("found before the backfill: %q", conv)
		}
		// An entry added after the migration is indexed as it is written.
		if err := st.AddConversationEntries(ctx, "conv_a", []qp.ConversationEntry{
			convItem("conv_a-3", `{"type":"message","id":"msg_shared","role":"user","content":"newest"}`, at.Add(time.Minute)),
		}); err != nil {
			t.Fatal(err)
		}
		n, err := st.IndexConversationItemIDs(ctx)
		if err != nil || n != 3 {
			t.Fatalf("backfill read %d conversations (%v), want 3", n, err)
		}
		for id, want := range map[string]string{"msg_conv_a": "conv_a-1", "msg_conv_b": "conv_b-1", "msg_conv_c": "conv_c-1", "msg_shared": "conv_a-3"} {
			if _, entry := convItemWithID(t, st, "key-1", id); entry != want {
				t.Fatalf("%s after the backfill: %q, want %q", id, entry, want)
			}
		}
		if n, err := st.IndexConversationItemIDs(ctx); err != nil || n != 0 {
			t.Fatalf("a second backfill read %d conversations (%v), want none", n, err)
		}

		dst := storetest.Open(t, storetest.URL(t, "sqlite"))
		if _, err := sqlstore.Copy(ctx, st, dst, func(sqlstore.CopyProgress) {}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"msg_conv_a", "msg_conv_b", "msg_conv_c", "msg_shared"} {
			if got, want := func() string { _, e := convItemWithID(t, dst, "key-1", id); return e }(), func() string { _, e := convItemWithID(t, st, "key-1", id); return e }(); got != want {
				t.Fatalf("%s in the copy: %q, in the source %q", id, got, want)
			}
		}
	})
}
