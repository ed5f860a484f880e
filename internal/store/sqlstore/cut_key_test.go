package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A session is found by its second key (CutKey, the history of an answer
// resent run together with a cut one's part) as by its first, with what the
// cut left kept; both go when the session expires, and a state without a
// second key takes it away.
func TestSessionsAreFoundByTheirCutKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		now := time.UnixMilli(time.Now().UnixMilli())
		s := qp.Session{ID: "s1", ChatID: "c1", ParentID: "p", Model: "m", MessageCount: 2, ConversationKey: "K", CutKey: "M",
			CutState: "v1 sent state", CreatedAt: now, LastAccessed: now, ExpiresAt: now.Add(time.Minute)}
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}}); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"K", "M"} {
			got, err := st.SessionByKey(ctx, key, "", "", now)
			if err != nil || got.ID != "s1" || got.ConversationKey != "K" || got.CutKey != "M" || got.CutState != "v1 sent state" {
				t.Fatalf("by %s: %+v %v", key, got, err)
			}
		}
		s.MessageCount, s.LastAccessed, s.ConversationKey, s.CutKey, s.CutState = 3, now.Add(time.Second), "K2", "", ""
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SessionByKey(ctx, "M", "", "", now); !errors.Is(err, qp.ErrNotFound) {
			t.Fatalf("found by the key it no longer has: %v", err)
		}
		s.MessageCount, s.LastAccessed, s.CutKey, s.CutState = 4, now.Add(2*time.Second), "M2", "v1 other state"
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}}); err != nil {
			t.Fatal(err)
		}
		if n, err := st.ForgetExpiredKeys(ctx, now.Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("forgot %d: %v", n, err)
		}
		if got, err := st.Session(ctx, "s1"); err != nil || got.ConversationKey != "" || got.CutKey != "" || got.CutState != "" {
			t.Fatalf("after forgetting: %+v %v", got, err)
		}
	})
}
