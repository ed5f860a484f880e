package session

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	qp "qwenproxy"
)

// AdmitsCall names the sessions a key may record a call in: its own, in memory
// or (after a restart) in the database; never another key's, nor one that
// does not exist.
func TestAdmitsCallInTheCallersSessionOnly(t *testing.T) {
	mgr, st := newManager(t)
	ctx := context.Background()
	var chats atomic.Int32
	turn, err := mgr.Begin(ctx, Request{ExplicitID: "named", Named: true, Owner: "key-a", NewChat: newChat(&chats)})
	if err != nil {
		t.Fatal(err)
	}
	turn.Advance("p1", "K1", nil, nil)
	turn.Release()
	fresh := NewManager(st, nil, func(qp.Session) {}, time.Minute, func() string { return "new" })
	for name, m := range map[string]*Manager{"in memory": mgr, "from the database": fresh} {
		for _, c := range []struct {
			id, owner string
			want      bool
		}{{"named", "key-a", true}, {"named", "key-b", false}, {"named", "", false}, {"unknown", "key-a", false}, {"bad id!", "key-a", false}} {
			if got, err := m.AdmitsCall(ctx, c.id, c.owner); err != nil || got != c.want {
				t.Errorf("%s: AdmitsCall(%q, %q) = %v, %v; want %v", name, c.id, c.owner, got, err, c.want)
			}
		}
	}
}

// A call admitted into a session whose first turn is still answered
// writes the session without its name: the turn holds the first message
// as the call's record has not yet masked it, and writes it, masked, as
// it ends (the store keeps the name a later state brings).
func TestAdmitsCallWritesASessionInItsFirstTurnWithoutItsName(t *testing.T) {
	mgr, st := newManager(t)
	ctx := context.Background()
	var chats atomic.Int32
	turn, err := mgr.Begin(ctx, Request{ExplicitID: "first", Named: true, Owner: "key-a", FirstUser: "unmasked pw-1234", NewChat: newChat(&chats)})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := mgr.AdmitsCall(ctx, "first", "key-a"); !ok || err != nil {
		t.Fatalf("AdmitsCall: %v %v", ok, err)
	}
	s, err := st.Session(ctx, "first")
	if err != nil {
		t.Fatal(err)
	}
	if s.FirstUserMessage != "" {
		t.Errorf("written with its first turn's name: %q", s.FirstUserMessage)
	}
	turn.Session.FirstUserMessage = "masked [REDACTED]" // as the server masks it (nameWithoutSecrets)
	turn.Touch()
	turn.Release()
	if s, err = st.Session(ctx, "first"); err != nil || s.FirstUserMessage != "masked [REDACTED]" {
		t.Fatalf("after the turn: %+v %v", s, err)
	}
}
