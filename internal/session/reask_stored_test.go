package session

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"qwenproxy/internal/store/storetest"
)

// A request asking its conversation's last turn again by its history (see
// reask.go) finds its session in the database where memory does not know
// of that turn: after a restart on SQLite, and on PostgreSQL on another
// instance than the one that answered it (memory holds none there). It is
// hung where that turn hung, told what the chat had been told there, and
// replaces that turn's answer — but not when it came before that turn's
// answer was written (sent beside it), nor when that turn answered a call
// it does not answer. After the chat was refused as too long it goes on in
// a new chat, as it does from memory, and so does its second ask.
func TestATurnIsAskedAgainFromTheDatabase(t *testing.T) {
	storetest.EachBackend(t, testATurnIsAskedAgainFromTheDatabase)
}

func testATurnIsAskedAgainFromTheDatabase(t *testing.T, backend string) {
	ctx := context.Background()
	w := newStoredManagers(t, backend)
	st, instance := w.st, w.instance
	var chats atomic.Int32
	begin := func(m *Manager, key, call string) *Turn {
		t.Helper()
		tn, err := m.Begin(ctx, Request{PrefixKey: key, HasHistory: key != "", AnsweredCall: call, NewChat: newChat(&chats)})
		if err != nil {
			t.Fatal(err)
		}
		return tn
	}
	a := instance()
	first := begin(a, "", "")
	first.SetTold("sys1", "tools1")
	first.Session.LastRequestID = "r1"
	first.Advance("p1", "K1", []string{"call1"}, []string{"read"})
	first.Release()
	second := begin(a, "K1", "call1")
	second.Session.LastRequestID = "r2"
	second.SetTold("sys2", "tools1")
	second.Advance("p2", "K2", nil, nil)
	second.Release()
	id := first.Session.ID

	// Came while the turn was being answered: its own session.
	beside := begin(instance(), "K1", "call1")
	if beside.Session.ID == id || beside.Replaces() != "" {
		t.Fatalf("a request that came with the answer asked in its place: %+v", beside.Session)
	}
	beside.Release()
	w.clock = w.clock.Add(time.Second)
	other := begin(instance(), "K1", "call-other")
	if other.Session.ID == id {
		t.Fatalf("a request answering another call asked in place of the last turn")
	}
	other.Release()

	b := instance()
	again := begin(b, "K1", "call1")
	if again.Session.ID != id || again.Session.ChatID != first.Session.ChatID || again.Session.ParentID != "p1" || again.Replay ||
		again.Replaces() != "r2" || !slices.Equal(again.Session.LastCallIDs, []string{"call1"}) {
		t.Fatalf("asked again from the database: %+v (replaces %q)", again.Session, again.Replaces())
	}
	if system, tools := again.Told(); system != "sys1" || tools != "tools1" {
		t.Fatalf("told %q, %q: not what the chat had been told under p1", system, tools)
	}
	again.Session.LastRequestID = "r3"
	again.Advance("p3", "K3", nil, nil)
	again.Release()
	s, err := st.Session(ctx, id)
	if err != nil || s.MessageCount != 2 || s.ParentID != "p3" || s.Prior.ParentID != "p1" || s.Prior.ConversationKey != "K1" {
		t.Fatalf("after the turn asked again: %+v %v", s, err)
	}

	// The next turn is refused as too long: a request asking in place of
	// the last answered one goes on in a new chat, told the conversation.
	w.clock = w.clock.Add(time.Second)
	next := begin(instance(), "K3", "")
	next.Outgrown()
	next.Release()
	w.clock = w.clock.Add(time.Second)
	summary := begin(instance(), "K1", "call1")
	if summary.Session.ID != id || summary.Session.ChatID == first.Session.ChatID || !summary.Replay || summary.Replaces() != "r3" {
		t.Fatalf("asked in place of the last turn of an outgrown chat: %+v (replay %v, replaces %q)", summary.Session, summary.Replay, summary.Replaces())
	}
	summary.Advance("q1", "KS", nil, nil)
	summary.Release()
	// Its summary lacking, the agent asks again: in a new chat again.
	w.clock = w.clock.Add(time.Second)
	twice := begin(instance(), "K1", "call1")
	if twice.Session.ID != id || twice.Session.ChatID == summary.Session.ChatID || !twice.Replay {
		t.Fatalf("asked again in place of a turn asked in a new chat: %+v (replay %v)", twice.Session, twice.Replay)
	}
	twice.Release()
}
