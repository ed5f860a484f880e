package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A conversation keeps its metadata and entries in order, appended entries
// after the first ones; an entry and the conversation can be deleted.
func TestConversations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		now := time.UnixMilli(time.Now().UnixMilli())
		c := qp.ConversationObject{ID: "conv_1", APIKeyID: "k1", CreatedAt: now, Metadata: map[string]string{"topic": "demo"}}
		first := []qp.ConversationEntry{{ID: "e1", CreatedAt: now, Item: json.RawMessage(`{"role":"user","content":"hi"}`)}}
		if err := st.CreateConversation(ctx, c, first); err != nil {
			t.Fatal(err)
		}
		got, err := st.Conversation(ctx, "conv_1")
		if err != nil || !reflect.DeepEqual(*got, c) {
			t.Fatalf("read back %+v, %v; want %+v", got, err, c)
		}
		if err := st.AddConversationEntries(ctx, "conv_1", []qp.ConversationEntry{{ID: "r1", CreatedAt: now, ResponseID: "resp_x"},
			{ID: "e2", CreatedAt: now, Item: json.RawMessage(`{"role":"user","content":"more"}`)}}); err != nil {
			t.Fatal(err)
		}
		entries, err := st.ConversationEntries(ctx, "conv_1")
		if err != nil || len(entries) != 3 || entries[0].ID != "e1" || entries[1].ResponseID != "resp_x" || entries[1].Item != nil ||
			entries[2].ID != "e2" || string(entries[2].Item) != `{"role":"user","content":"more"}` || entries[2].Seq <= entries[1].Seq {
			t.Fatalf("entries %+v, %v", entries, err)
		}
		if err := st.UpdateConversationMetadata(ctx, "conv_1", nil); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.Conversation(ctx, "conv_1"); len(got.Metadata) != 0 {
			t.Fatalf("metadata after clearing: %v", got.Metadata)
		}
		// An item entry is found by its id alone, with its conversation
		// and that conversation's key; a response's entry, or an unknown
		// id, is not.
		if conv, key, e, err := st.ConversationItem(ctx, "e2"); err != nil || conv != "conv_1" || key != "k1" || e.ID != "e2" ||
			e.Seq != entries[2].Seq || string(e.Item) != `{"role":"user","content":"more"}` || !e.CreatedAt.Equal(now) {
			t.Fatalf("item e2: %q %q %+v %v", conv, key, e, err)
		}
		for _, id := range []string{"r1", "nope"} {
			if _, _, _, err := st.ConversationItem(ctx, id); !errors.Is(err, qp.ErrNotFound) {
				t.Fatalf("item %s: %v", id, err)
			}
		}
		if err := st.DeleteConversationEntry(ctx, "conv_1", "e2"); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteConversationEntry(ctx, "conv_1", "e2"); !errors.Is(err, qp.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if entries, _ := st.ConversationEntries(ctx, "conv_1"); len(entries) != 2 {
			t.Fatalf("after delete: %+v", entries)
		}
		if err := st.DeleteConversation(ctx, "conv_1"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Conversation(ctx, "conv_1"); !errors.Is(err, qp.ErrNotFound) {
			t.Fatalf("read deleted: %v", err)
		}
		if entries, _ := st.ConversationEntries(ctx, "conv_1"); len(entries) != 0 {
			t.Fatalf("entries of a deleted conversation: %+v", entries)
		}
		for name, err := range map[string]error{
			"update": st.UpdateConversationMetadata(ctx, "conv_1", nil),
			"add":    st.AddConversationEntries(ctx, "conv_1", []qp.ConversationEntry{{ID: "x", CreatedAt: now}}),
			"delete": st.DeleteConversation(ctx, "conv_1"),
			"lock":   st.LockConversation(ctx, "conv_1", "t", now, now.Add(time.Minute)),
		} {
			if !errors.Is(err, qp.ErrNotFound) {
				t.Errorf("%s of a deleted conversation: %v", name, err)
			}
		}
	})
}

// A conversation's lock is held by one token at a time until its lease runs
// out or it is let go.
func TestConversationLock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		now := time.UnixMilli(time.Now().UnixMilli())
		if err := st.CreateConversation(ctx, qp.ConversationObject{ID: "conv_2", CreatedAt: now}, nil); err != nil {
			t.Fatal(err)
		}
		if err := st.LockConversation(ctx, "conv_2", "a", now, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := st.LockConversation(ctx, "conv_2", "b", now, now.Add(time.Minute)); !errors.Is(err, qp.ErrConversationLocked) {
			t.Fatalf("second lock: %v", err)
		}
		if err := st.UnlockConversation(ctx, "conv_2", "b"); err != nil {
			t.Fatal(err)
		}
		if err := st.LockConversation(ctx, "conv_2", "b", now, now.Add(time.Minute)); !errors.Is(err, qp.ErrConversationLocked) {
			t.Fatalf("another token's unlock let go of the lock: %v", err)
		}
		// a's lease ran out: b takes it.
		if err := st.LockConversation(ctx, "conv_2", "b", now.Add(2*time.Minute), now.Add(3*time.Minute)); err != nil {
			t.Fatalf("lock after the lease ran out: %v", err)
		}
		if err := st.UnlockConversation(ctx, "conv_2", "b"); err != nil {
			t.Fatal(err)
		}
		if err := st.LockConversation(ctx, "conv_2", "a", now, now.Add(time.Minute)); err != nil {
			t.Fatalf("lock after unlock: %v", err)
		}
	})
}
