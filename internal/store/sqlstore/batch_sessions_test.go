package sqlstore_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A batch's session states are written many to a statement, and a session's
// several states in their order: what the batch leaves is what writing its
// states one at a time leaves — a later state's name kept from an earlier
// one, a first message not lost to a state without it, a state replayed late
// not overwriting a newer one — and the session search finds each session
// by its first message.
func TestABatchsSessionStatesLeaveWhatOneAtATimeLeaves(t *testing.T) {
	storetest.EachBackend(t, testABatchsSessionStatesLeaveWhatOneAtATimeLeaves)
}

func testABatchsSessionStatesLeaveWhatOneAtATimeLeaves(t *testing.T, backend string) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	state := func(id string, count int, first string, named bool, at time.Duration) qp.Session {
		return qp.Session{ID: id, ChatID: "chat-" + id, ParentID: fmt.Sprint("parent-", id, "-", count), Model: "qwen3-max",
			FirstUserMessage: first, MessageCount: count, ConversationKey: fmt.Sprint("key-", id, "-", count),
			CreatedAt: now, LastAccessed: now.Add(at), ExpiresAt: now.Add(time.Hour + at), Named: named}
	}
	states := []qp.Session{
		state("a", 2, "first of a", true, 1),
		state("a", 4, "", false, 2), // a's next turn: named and first message kept
		state("b", 4, "first of b", false, 3),
		state("b", 2, "first of b", false, 4), // b's older state, replayed late: ignored
	}
	for i := range 9 { // more sessions than one statement's smallest chunks
		id := fmt.Sprint("s", i)
		states = append(states, state(id, 2, "first of "+id, false, time.Duration(5+i)))
	}
	states = append(states, state("c", 2, "first of c", false, 20), state("a", 6, "", false, 21))

	batched := storetest.Open(t, storetest.URL(t, backend))
	if err := batched.WriteBatch(ctx, qp.Batch{Sessions: states}); err != nil {
		t.Fatal(err)
	}
	single := storetest.Open(t, storetest.URL(t, backend))
	for _, s := range states {
		if err := single.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}}); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]bool{}
	for _, s := range states {
		ids[s.ID] = true
	}
	for id := range ids {
		want, err := single.Session(ctx, id)
		if err != nil {
			t.Fatalf("session %s written one at a time: %v", id, err)
		}
		got, err := batched.Session(ctx, id)
		if err != nil {
			t.Fatalf("session %s written in one batch: %v", id, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("session %s written in one batch:\n%+v\none at a time:\n%+v", id, got, want)
		}
		res, err := batched.ListSessions(ctx, qp.SessionFilter{Search: "first of " + id}, qp.ListOptions{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != 1 || res.Items[0].ID != id {
			t.Errorf("search for %s's first message found %+v", id, res.Items)
		}
	}
	a, _ := batched.Session(ctx, "a")
	if a.MessageCount != 6 || !a.Named || a.FirstUserMessage != "first of a" {
		t.Errorf("a after its three states: %d messages, named %v, first message %q; want 6, true, %q", a.MessageCount, a.Named, a.FirstUserMessage, "first of a")
	}
	b, _ := batched.Session(ctx, "b")
	if b.MessageCount != 4 {
		t.Errorf("b's late older state overwrote its newer one: %d messages", b.MessageCount)
	}
}
