package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A session is found by the history its latest answered turn came with
// (Prior.ConversationKey), so that a request asking that turn again goes
// on in its chat after a restart and on another instance: only when it
// was last used before the request came, only by a request answering the
// same call (or none, as that turn), and not once it expired or moved on.
func TestSessionsAreFoundByTheirLastTurnsHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		now := time.UnixMilli(time.Now().UnixMilli())
		s := qp.Session{ID: "s1", ChatID: "c1", ParentID: "p2", Model: "m", MessageCount: 2, ConversationKey: "K2",
			CreatedAt: now, LastAccessed: now, ExpiresAt: now.Add(time.Minute),
			Prior: qp.SessionPrior{ParentID: "p1", RequestID: "r1", CallIDs: []string{"call_a", "call_b"}, CallNames: []string{"read", "write"},
				ToldSystemHash: "sys", ToldToolsHash: "tools", ConversationKey: "K1"}}
		calls := s
		calls.ID, calls.ChatID, calls.Prior.ConversationKey = "s2", "c2", "KC"
		plain := s
		plain.ID, plain.ChatID, plain.Prior.ConversationKey, plain.Prior.CallIDs, plain.Prior.CallNames = "s3", "c3", "KP", nil, nil
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s, calls, plain}}); err != nil {
			t.Fatal(err)
		}
		after := now.Add(time.Millisecond)
		got, err := st.SessionByPriorKey(ctx, "K1", "call_b", "", after, now)
		if err != nil || got.ID != "s1" || got.Prior.ConversationKey != "K1" || got.Prior.ParentID != "p1" || len(got.Prior.CallIDs) != 2 {
			t.Fatalf("by its last turn's history: %+v %v", got, err)
		}
		if got, err := st.SessionByPriorKey(ctx, "KP", "", "", after, now); err != nil || got.ID != "s3" {
			t.Fatalf("a turn that answered no call, by a request answering none: %+v %v", got, err)
		}
		for _, miss := range []struct {
			key, call string
			before    time.Time
		}{
			{"K1", "call_b", now},   // used when the request came: answered beside it
			{"K1", "call_x", after}, // another call
			{"K1", "", after},       // no call: that turn answered some
			{"KP", "call_a", after}, // a call: that turn answered none
			{"K2", "", after},       // the history the next turn comes with
			{"K1", "call a", after}, // no id the proxy mints
		} {
			if got, err := st.SessionByPriorKey(ctx, miss.key, miss.call, "", miss.before, now); !errors.Is(err, qp.ErrNotFound) {
				t.Errorf("%+v: found %+v %v", miss, got, err)
			}
		}
		if _, err := st.SessionByPriorKey(ctx, "K1", "call_b", "", after.Add(time.Hour), now.Add(time.Hour)); !errors.Is(err, qp.ErrNotFound) {
			t.Errorf("found expired: %v", err)
		}

		// The session moves on: its next turn came by no history of its chat's.
		s.MessageCount, s.LastAccessed, s.Prior = 3, now.Add(time.Second), qp.SessionPrior{ParentID: "p2"}
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SessionByPriorKey(ctx, "K1", "call_b", "", now.Add(time.Hour), now); !errors.Is(err, qp.ErrNotFound) {
			t.Fatalf("found by the history its last turn no longer came with: %v", err)
		}
		if n, err := st.ForgetExpiredKeys(ctx, now.Add(time.Hour)); err != nil || n != 3 {
			t.Fatalf("forgot %d: %v", n, err)
		}
		if got, err := st.Session(ctx, "s2"); err != nil || got.Prior.ConversationKey != "" || got.Prior.ParentID != "p1" {
			t.Fatalf("after forgetting: %+v %v", got, err)
		}
	})
}
