package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// Retention by age deletes the Conversations API conversations it has left
// behind — nothing added to them since before the oldest call it keeps — with
// their items: kept, such a conversation listed none of its responses, and
// its items stayed for good, outside retention's limits. One given an item
// since, or made since, stays.
func TestRetentionDeletesTheConversationsItLeavesBehind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		now := time.UnixMilli(time.Now().UnixMilli())
		old, recent := now.Add(-48*time.Hour), now.Add(-time.Hour)
		oldSession, oldCall := oneTurn("old", old)
		newSession, newCall := oneTurn("new", recent)
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{oldSession, newSession}, Exchanges: []qp.Exchange{oldCall, newCall}}); err != nil {
			t.Fatal(err)
		}
		item := func(id string, at time.Time) qp.ConversationEntry {
			return qp.ConversationEntry{ID: id, CreatedAt: at, Item: []byte(`{"type":"message","role":"user","content":"` + id + `"}`)}
		}
		conversation := func(id string, made time.Time, entries ...qp.ConversationEntry) {
			t.Helper()
			if err := st.CreateConversation(ctx, qp.ConversationObject{ID: id, CreatedAt: made}, entries); err != nil {
				t.Fatal(err)
			}
		}
		answered := qp.ConversationEntry{ID: oldCall.Request.RequestID, CreatedAt: old.Add(time.Second), ResponseID: "resp_old"}
		conversation("conv_left", old, item("a", old), answered)
		conversation("conv_empty_old", old)
		conversation("conv_given_since", old, item("b", old))
		if err := st.AddConversationEntries(ctx, "conv_given_since", []qp.ConversationEntry{item("c", recent)}); err != nil {
			t.Fatal(err)
		}
		conversation("conv_new", now)

		if _, err := st.DeleteRequestsBefore(ctx, now.Add(-24*time.Hour), 100, nil); err != nil {
			t.Fatalf("retention: %v", err)
		}
		for id, kept := range map[string]bool{"conv_left": false, "conv_empty_old": false, "conv_given_since": true, "conv_new": true} {
			_, err := st.Conversation(ctx, id)
			if kept && err != nil {
				t.Errorf("%s is gone (%v): something was added to it since the oldest call kept", id, err)
			}
			if !kept && !errors.Is(err, qp.ErrNotFound) {
				t.Errorf("%s is still there (%v): retention left it behind", id, err)
			}
		}
		if n := count(t, st, `SELECT COUNT(*) FROM conversation_entries WHERE conversation_id = 'conv_left'`); n != 0 {
			t.Errorf("%d entries of a deleted conversation are left", n)
		}
		if entries, err := st.ConversationEntries(ctx, "conv_given_since"); err != nil || len(entries) != 2 {
			t.Errorf("a kept conversation has %d entries (%v), want its 2", len(entries), err)
		}
	})
}
