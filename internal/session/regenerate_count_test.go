package session

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A regenerate replaces its session's latest turn: the session's
// message_count is the conversation's as it now stands, the count after the
// turn it replaces, not one more. With the count equal, the store keeps the
// later of two states by last_accessed: the regenerate's state must still be
// the one kept — written behind in one batch after the state it replaces,
// and on PostgreSQL by a second instance whose clock is behind the first's
// (under the session's lock, each its own statement).
func TestARegenerateKeepsItsSessionsMessageCount(t *testing.T) {
	storetest.EachBackend(t, testARegenerateKeepsItsSessionsMessageCount)
}

func testARegenerateKeepsItsSessionsMessageCount(t *testing.T, backend string) {
	ctx := context.Background()
	st := storetest.Open(t, storetest.URL(t, backend))
	var pending []qp.Session // states written behind, in one batch at the end
	save := func(s qp.Session) { pending = append(pending, s) }
	start := time.Now().Truncate(time.Millisecond)
	newInstance := func(behind time.Duration) *Manager {
		m := NewManager(st, st.Locker(), save, time.Hour, func() string { return "unused" })
		m.now = func() time.Time { return start.Add(-behind) }
		return m
	}
	a := newInstance(0)
	// b's clock is a minute behind a's: on PostgreSQL another instance, on
	// SQLite the same one (alone on its database) after its clock was set
	// back.
	b := newInstance(time.Minute)
	if backend == "sqlite" {
		b = a
	}
	flush := func() {
		t.Helper()
		if len(pending) > 0 { // SQLite: one process, its states written behind
			if err := st.WriteBatch(ctx, qp.Batch{Sessions: pending}); err != nil {
				t.Fatal(err)
			}
			pending = nil
		}
	}
	answer := func(m *Manager, continues, requestID, parent string) *Turn {
		t.Helper()
		turn, err := m.Begin(ctx, Request{ExplicitID: "s", Continues: continues,
			NewChat: func(context.Context) (string, error) { return "chat1", nil }})
		if err != nil {
			t.Fatal(err)
		}
		turn.Session.LastRequestID = requestID
		turn.Advance(parent, "", nil, nil)
		turn.Release()
		return turn
	}
	answer(a, "", "r1", "p1")
	answer(a, "r1", "r2", "p2")
	if backend == "sqlite" {
		a.now = func() time.Time { return start.Add(-time.Minute) }
	}
	if again := answer(b, "r1", "r3", "p3"); !again.Regenerates || again.Session.MessageCount != 2 {
		t.Fatalf("the regenerate: regenerates %v, message_count %d (want 2)", again.Regenerates, again.Session.MessageCount)
	}
	a.now = func() time.Time { return start.Add(time.Second) }
	// The three states of the session in one batch, in their order.
	flush()
	s, err := st.Session(ctx, "s")
	if err != nil || s.MessageCount != 2 || s.ParentID != "p3" || s.LastRequestID != "r3" {
		t.Fatalf("after the regenerate: %+v %v (want message_count 2, parent p3, last request r3)", s, err)
	}
	// The next turn goes on from the regenerate's answer, one more.
	answer(a, "r3", "r4", "p4")
	flush()
	if s, err := st.Session(ctx, "s"); err != nil || s.MessageCount != 3 || s.ParentID != "p4" {
		t.Fatalf("after the turn after the regenerate: %+v %v (want message_count 3, parent p4)", s, err)
	}
}

// A request asking its conversation's last turn again by its history (a
// regenerate, an edited last message, Claude Code's summary call: see
// reask.go) is hung where that turn hung, in its place: the session counts
// the turns of the conversation as it stands, as for a Responses regenerate.
func TestATurnAskedInPlaceOfTheLastKeepsTheCount(t *testing.T) {
	mgr, st := newManager(t)
	ctx := context.Background()
	var chats atomic.Int32
	turn := func(key string) *Turn {
		t.Helper()
		req := Request{PrefixKey: key, HasHistory: key != "", NewChat: newChat(&chats)}
		tn, err := mgr.Begin(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return tn
	}
	first := turn("")
	first.Advance("p1", "K1", nil, nil)
	first.Release()
	second := turn("K1")
	second.Advance("p2", "K2", nil, nil)
	second.Release()
	again := turn("K1") // the history the last turn came with
	if again.Session.ID != first.Session.ID || again.Session.ParentID != "p1" {
		t.Fatalf("asked in place of the last turn: %+v", again.Session)
	}
	again.Advance("p3", "K3", nil, nil)
	again.Release()
	if s, err := st.Session(ctx, first.Session.ID); err != nil || s.MessageCount != 2 || s.ParentID != "p3" {
		t.Fatalf("after a turn asked in place of the last: %+v %v (want message_count 2, parent p3)", s, err)
	}
}

// A turn asked in place of the latest counts as many whichever chat it is
// asked in: a regenerate whose chat is gone (Qwen lost it, the account
// moved) goes on in a new chat told the conversation (Rechat), and a turn
// asked again by its history where the last went to a new chat goes to a
// new chat too. Until 2026-12-06 both added one: the new chat's thread was
// taken for a turn more.
func TestATurnAskedAgainInANewChatKeepsTheCount(t *testing.T) {
	ctx := context.Background()
	m, _ := newManager(t)
	answer := func(continues, requestID, parent string, lost bool) *Turn {
		t.Helper()
		turn, err := m.Begin(ctx, Request{ExplicitID: "s", Continues: continues,
			NewChat: func(context.Context) (string, error) { return "chat1", nil }})
		if err != nil {
			t.Fatal(err)
		}
		if lost {
			turn.Rechat("chat2") // as the server does when the chat is not found
		}
		turn.Session.LastRequestID = requestID
		turn.Advance(parent, "", nil, nil)
		turn.Release()
		return turn
	}
	answer("", "r1", "p1", false)
	answer("r1", "r2", "p2", false)
	if again := answer("r1", "r3", "p3", true); !again.Regenerates || again.Session.MessageCount != 2 {
		t.Fatalf("a regenerate moved to a new chat: regenerates %v, message_count %d (want 2)", again.Regenerates, again.Session.MessageCount)
	}
	if next := answer("r3", "r4", "p4", false); next.Session.MessageCount != 3 {
		t.Fatalf("the turn after it: message_count %d (want 3)", next.Session.MessageCount)
	}

	mgr, _ := newManager(t)
	var chats atomic.Int32
	turn := func(key string, lost bool) *Turn {
		t.Helper()
		tn, err := mgr.Begin(ctx, Request{PrefixKey: key, HasHistory: key != "", NewChat: newChat(&chats)})
		if err != nil {
			t.Fatal(err)
		}
		if lost {
			tn.Rechat("chat-lost")
		}
		return tn
	}
	first := turn("", false)
	first.Advance("p1", "K1", nil, nil)
	first.Release()
	second := turn("K1", false)
	second.Advance("p2", "K2", nil, nil)
	second.Release()
	again := turn("K1", true)
	again.Advance("p3", "K3", nil, nil)
	again.Release()
	if again.Session.ID != first.Session.ID || again.Session.MessageCount != 2 {
		t.Fatalf("asked again by its history, in a new chat: %+v (want session %s, message_count 2)", again.Session, first.Session.ID)
	}
}
