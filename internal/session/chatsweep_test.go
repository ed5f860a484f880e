package session

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	qp "qwenproxy"
)

// QWEN_DELETE_CHATS: the chats of sessions that expired are deleted once,
// speaking as each session's account; a session its client named
// (X-Session-Id), or one still live, keeps its chat; a deletion that fails
// is tried again at the next sweep; and a previous_response_id that
// continues an expired session whose chat was deleted (an explicit id, not
// named) goes on in a new chat told the conversation, never in the deleted
// one.
func TestExpiredSessionsChatsAreDeletedOnce(t *testing.T) {
	mgr, st := newManager(t)
	ctx := context.Background()
	var chats atomic.Int32
	start := time.Now()
	mgr.now = func() time.Time { return start }
	begin := func(req Request) *Turn {
		t.Helper()
		req.NewChat = newChat(&chats)
		turn, err := mgr.Begin(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		turn.Session.Account = "alice@example.com"
		turn.Advance("p1", "K-"+turn.Session.ID, nil, nil)
		turn.Release()
		return turn
	}
	byHash := begin(Request{FirstUser: "by hash"})
	named := begin(Request{ExplicitID: "mine", Named: true})
	mgr.now = func() time.Time { return start.Add(50 * time.Second) }
	live := begin(Request{FirstUser: "still live"}) // expires 50 s after the others

	var deleted []string
	fail := errors.New("qwen: server 500")
	var failing atomic.Bool
	del := func(_ context.Context, s qp.Session) error {
		if s.Account != "alice@example.com" {
			t.Errorf("chat %s deleted as %q, not its account", s.ChatID, s.Account)
		}
		if failing.Load() {
			return fail
		}
		deleted = append(deleted, s.ChatID)
		return nil
	}

	mgr.now = func() time.Time { return start.Add(time.Minute) } // byHash and named expired, live not
	failing.Store(true)
	if n, err := mgr.DeleteExpiredChats(ctx, del, 10); n != 0 || !errors.Is(err, fail) {
		t.Fatalf("failing sweep: %d deleted, %v", n, err)
	}
	failing.Store(false)
	if n, err := mgr.DeleteExpiredChats(ctx, del, 10); n != 1 || err != nil || !slices.Equal(deleted, []string{byHash.Session.ChatID}) {
		t.Fatalf("sweep: %d deleted (%v), %v", n, deleted, err)
	}
	if n, err := mgr.DeleteExpiredChats(ctx, del, 10); n != 0 || err != nil {
		t.Fatalf("second sweep: %d deleted, %v", n, err)
	}
	if s, err := st.Session(ctx, byHash.Session.ID); err != nil || s.ChatDeletedAt.IsZero() {
		t.Fatalf("stored %+v %v: the deletion not recorded", s, err)
	}
	if s, err := st.Session(ctx, named.Session.ID); err != nil || !s.Named || !s.ChatDeletedAt.IsZero() {
		t.Fatalf("named session stored %+v %v", s, err)
	}

	mgr.now = func() time.Time { return start.Add(2 * time.Minute) }
	if n, err := mgr.DeleteExpiredChats(ctx, del, 10); n != 1 || err != nil || deleted[1] != live.Session.ChatID {
		t.Fatalf("sweep after the live one expired: %d (%v), %v", n, deleted, err)
	}

	// A previous_response_id naming the deleted chat's session.
	again, err := mgr.Begin(ctx, Request{ExplicitID: byHash.Session.ID, HasHistory: true, NewChat: newChat(&chats)})
	if err != nil {
		t.Fatal(err)
	}
	if again.Session.ChatID == byHash.Session.ChatID || !again.FirstTurn() || !again.Replay || !again.Session.ChatDeletedAt.IsZero() {
		t.Fatalf("continued in %+v (replay %v), want a new chat told the conversation", again.Session, again.Replay)
	}
	again.Advance("p2", "K2", nil, nil)
	again.Release()
	if s, err := st.Session(ctx, byHash.Session.ID); err != nil || s.ChatID != again.Session.ChatID || !s.ChatDeletedAt.IsZero() || s.Named {
		t.Fatalf("stored after the new chat %+v %v", s, err)
	}
}
