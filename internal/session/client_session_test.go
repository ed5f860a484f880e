package session

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A session keeps the client's id of the conversation that opened it, and a
// call under another id does not continue it by any history — the one it
// expects next, the one its last turn came with (asked again), nor as a
// session its first turn left unanswered: it opens a session of its own,
// told the history (Claude Code's --fork-session). A call under the same
// id continues it (the agent's side calls and subagents carry their
// parent's), and where either has no id nothing changes: a call without
// one, and a session opened without one (before migration 0050). Of two
// sessions expecting one history, a call finds its own. A session
// the call names (X-Session-Id) is the client's choice, continued whatever
// its id. Memory, the database after a restart and a shared database
// (PostgreSQL) answer alike.
func TestACallOfAnotherClientSessionDoesNotContinueASession(t *testing.T) {
	storetest.EachBackend(t, testACallOfAnotherClientSessionDoesNotContinueASession)
}

func testACallOfAnotherClientSessionDoesNotContinueASession(t *testing.T, backend string) {
	ctx := context.Background()
	w := newStoredManagers(t, backend)
	w.tick = time.Millisecond
	st, instance := w.st, w.instance
	var chats atomic.Int32
	mgr := instance()
	var calls int
	begin := func(req Request) *Turn {
		t.Helper()
		req.HasHistory = req.PrefixKey != ""
		req.NewChat = newChat(&chats)
		if calls++; req.Sent == nil { // each call's conversation its own
			req.Sent = []qp.Message{{Role: "user", Text: fmt.Sprint("message ", calls)}}
		}
		tn, err := mgr.Begin(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return tn
	}
	answer := func(tn *Turn, next string) string {
		t.Helper()
		tn.Advance("p-"+next, next, nil, nil)
		tn.Release()
		return tn.Session.ID
	}
	continues := func(what string, tn *Turn, id string) {
		t.Helper()
		if tn.Session.ID != id || tn.Replay {
			t.Errorf("%s: session %s (replayed: %v), want %s continued", what, tn.Session.ID, tn.Replay, id)
		}
	}
	opens := func(what string, tn *Turn, notIn ...string) {
		t.Helper()
		for _, id := range notIn {
			if tn.Session.ID == id {
				t.Errorf("%s: continued session %s", what, id)
			}
		}
		if !tn.Replay || tn.Session.MessageCount != 0 {
			t.Errorf("%s: %+v, want a new session told the history", what, tn.Session)
		}
	}

	a := answer(begin(Request{ClientSessionID: "A"}), "K1")
	if s, err := st.Session(ctx, a); err != nil || s.ClientSessionID != "A" {
		t.Fatalf("the session opened: %+v %v", s, err)
	}
	tn := begin(Request{PrefixKey: "K1", ClientSessionID: "A"})
	continues("its next turn", tn, a)
	answer(tn, "K2")
	tn = begin(Request{PrefixKey: "K2"})
	continues("a call without an id", tn, a)
	answer(tn, "K3")

	for _, restart := range []bool{false, true} {
		if restart {
			mgr = instance()
		}
		// The fork, by the history the session expects.
		tn = begin(Request{PrefixKey: "K3", ClientSessionID: "F"})
		opens("another id's call", tn, a)
		if tn.Session.ClientSessionID != "F" {
			t.Errorf("the fork's session has client %q", tn.Session.ClientSessionID)
		}
		answer(tn, fmt.Sprint("KF", restart))
		// By the history the session's last turn came with (a regenerate).
		tn = begin(Request{PrefixKey: "K2", ClientSessionID: "F"})
		opens("another id's call asking the last turn again", tn, a)
		tn.Touch()
		tn.Release()
	}
	// The agent's own calls go on in its session: its turn asked again,
	// then its next turn.
	tn = begin(Request{PrefixKey: "K2", ClientSessionID: "A"})
	continues("its own regenerate", tn, a)
	answer(tn, "K3")
	tn = begin(Request{PrefixKey: "K3", ClientSessionID: "A"})
	continues("its own next turn, after the forks", tn, a)
	answer(tn, "K4")

	// X-Session-Id names the session: the client's choice stands.
	tn = begin(Request{ExplicitID: a, PrefixKey: "K4", ClientSessionID: "F"})
	continues("a session named", tn, a)
	answer(tn, "K5")

	// A session opened without an id is continued by any call.
	old := answer(begin(Request{}), "O1")
	tn = begin(Request{PrefixKey: "O1", ClientSessionID: "B"})
	continues("a session without an id", tn, old)
	answer(tn, "O2")

	// A first turn that failed: its retry under its id continues its
	// session, another id's call sending the same conversation does not.
	sent := []qp.Message{{Role: "user", Text: "the same"}}
	failed := begin(Request{ClientSessionID: "U", Sent: sent})
	failed.Touch()
	failed.Release()
	tn = begin(Request{ClientSessionID: "V", Sent: sent})
	if tn.Session.ID == failed.Session.ID {
		t.Errorf("another id's call continued the session a failed first turn left")
	}
	tn.Touch()
	tn.Release()
	tn = begin(Request{ClientSessionID: "U", Sent: sent})
	continues("the retry of a failed first turn", tn, failed.Session.ID)
	tn.Touch()
	tn.Release()

	// Two agent sessions that asked the same and were answered the same
	// expect one history: each goes on in its own, the other used last.
	p := answer(begin(Request{ClientSessionID: "P"}), "S1")
	q := answer(begin(Request{ClientSessionID: "Q"}), "S1")
	tn = begin(Request{PrefixKey: "S1", ClientSessionID: "P"})
	continues("P's session beside Q's", tn, p)
	answer(tn, "S2")
	tn = begin(Request{PrefixKey: "S1", ClientSessionID: "Q"})
	continues("Q's session", tn, q)
	answer(tn, "S2q")
	// Each asks its last turn again, by the history both came with, in
	// its own.
	for _, own := range []struct{ client, id string }{{"Q", q}, {"P", p}} {
		tn = begin(Request{PrefixKey: "S1", ClientSessionID: own.client})
		continues(own.client+"'s last turn asked again", tn, own.id)
		if !tn.replaces || tn.Session.ParentID != "p-S1" {
			t.Errorf("%s's turn is not asked in place of its last", own.client)
		}
		tn.Touch()
		tn.Release()
	}
}
