package session

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A key that names another key's session (X-Session-Id) gets a session of
// its own under that name, and every later turn of it naming the same goes
// on there: one session, its id the same on every turn, after a restart
// and on another instance sharing the database (until 2026-12-07 each
// turn got a new random id, a session and a chat per turn). The owner's
// session stays the owner's. An id that names another key's session under
// that name as well leads to one further on, stable too. And an id that
// another key's object holds before its session exists (a Conversations
// API conversation's, TakenBy) is not taken: the owner's call opens it,
// another key's gets a session of its own.
func TestAnotherKeyNamingASessionGoesOnInOneOfItsOwn(t *testing.T) {
	storetest.EachBackend(t, testAnotherKeyNamingASessionGoesOnInOneOfItsOwn)
}

func testAnotherKeyNamingASessionGoesOnInOneOfItsOwn(t *testing.T, backend string) {
	ctx := context.Background()
	w := newStoredManagers(t, backend)
	var chats atomic.Int32
	mgr := w.instance()
	conversations := map[string]string{"conv_1": "alice"} // conversation id → its key
	takenBy := func(_ context.Context, id string) (bool, string, error) {
		owner, ok := conversations[id]
		return ok, owner, nil
	}
	answers := 0
	turn := func(owner, name string) *Turn {
		t.Helper()
		tn, err := mgr.Begin(ctx, Request{ExplicitID: name, Named: true, Owner: owner, NewChat: newChat(&chats), TakenBy: takenBy})
		if err != nil {
			t.Fatalf("%s naming %s: %v", owner, name, err)
		}
		answers++
		tn.Advance(fmt.Sprint("p", answers), fmt.Sprint("K", answers), nil, nil)
		tn.Release()
		return tn
	}
	// goesOn checks a turn of owner naming name: in session want (any id
	// but name's when want is ""), and after the answer parent (opened when
	// parent is "").
	goesOn := func(what, owner, name, want, parent string) string {
		t.Helper()
		asked := answers + 1
		tn := turn(owner, name)
		switch {
		case want == "" && tn.Session.ID == name:
			t.Errorf("%s: %s took the session %s", what, owner, name)
		case want != "" && tn.Session.ID != want:
			t.Errorf("%s: session %s, want %s", what, tn.Session.ID, want)
		}
		if tn.asked.ParentID != parent {
			t.Errorf("%s: the turn went on from %q, want %q", what, tn.asked.ParentID, parent)
		}
		s, err := w.st.Session(ctx, tn.Session.ID)
		if err != nil || s.APIKeyID != owner || s.ParentID != fmt.Sprint("p", asked) {
			t.Errorf("%s: stored %+v %v, want %s's answered by p%d", what, s, err, owner, asked)
		}
		return tn.Session.ID
	}

	goesOn("alice's first turn", "alice", "main", "main", "")      // p1
	bob := goesOn("bob's first turn", "bob", "main", "", "")       // p2
	goesOn("bob's second turn", "bob", "main", bob, "p2")          // p3
	goesOn("bob's third turn", "bob", "main", bob, "p3")           // p4
	goesOn("alice's second turn", "alice", "main", "main", "p1")   // p5
	carol := goesOn("carol's first turn", "carol", "main", "", "") // p6
	if carol == bob {
		t.Errorf("carol's session is bob's, %s", bob)
	}
	mgr = w.instance()                                                    // restarted, or another instance on the database
	goesOn("bob's turn after a restart", "bob", "main", bob, "p4")        // p7
	goesOn("alice's turn after a restart", "alice", "main", "main", "p5") // p8
	goesOn("carol's turn after a restart", "carol", "main", carol, "p6")  // p9

	// Dave names first the id bob's session under "other" would have:
	// bob's goes one further on, and stays there.
	goesOn("alice's other session", "alice", "other", "other", "")                        // p10
	goesOn("dave's choice", "dave", ownName("bob", "other"), ownName("bob", "other"), "") // p11
	bobOther := goesOn("bob's other", "bob", "other", "", "")                             // p12
	if bobOther == ownName("bob", "other") {
		t.Errorf("bob's session under other is dave's")
	}
	goesOn("bob's other again", "bob", "other", bobOther, "p12") // p13

	// A conversation of alice's, no session of it yet.
	bobConv := goesOn("bob naming alice's conversation", "bob", "conv_1", "", "")    // p14
	goesOn("alice's conversation's first response", "alice", "conv_1", "conv_1", "") // p15
	goesOn("bob naming it again", "bob", "conv_1", bobConv, "p14")                   // p16
	goesOn("alice's next response", "alice", "conv_1", "conv_1", "p15")              // p17

	// A database that cannot say whose a conversation is fails the call.
	down := errors.New("database down")
	_, err := mgr.Begin(ctx, Request{ExplicitID: "conv_2", Owner: "bob", NewChat: newChat(&chats),
		TakenBy: func(context.Context, string) (bool, string, error) { return false, "", down }})
	if !errors.Is(err, qp.ErrStoreUnavailable) || !errors.Is(err, down) {
		t.Errorf("a conversation's owner unread: %v, want the database's failure", err)
	}
}

// Two instances sharing a PostgreSQL database, each given a first turn of
// a key under another key's session name at once, agree on the key's
// session: the second waits for the first's lock of that id and goes on
// from its answer, rather than opening a second session of the key under
// the name.
func TestAnotherKeysTurnsOnTwoInstancesShareItsSession(t *testing.T) {
	ctx := context.Background()
	w := newStoredManagers(t, "postgres")
	var chats atomic.Int32
	one, two := w.instance(), w.instance()
	tn, err := one.Begin(ctx, Request{ExplicitID: "main", Owner: "alice", NewChat: newChat(&chats)})
	if err != nil {
		t.Fatal(err)
	}
	tn.Advance("p-alice", "K-alice", nil, nil)
	tn.Release()
	first, err := one.Begin(ctx, Request{ExplicitID: "main", Owner: "bob", NewChat: newChat(&chats)})
	if err != nil {
		t.Fatal(err)
	}
	second := make(chan *Turn)
	go func() {
		tn, err := two.Begin(ctx, Request{ExplicitID: "main", Owner: "bob", NewChat: newChat(&chats)})
		if err != nil {
			t.Error(err)
		}
		second <- tn
	}()
	first.Advance("p-bob", "K-bob", nil, nil)
	first.Release()
	tn = <-second
	if tn == nil {
		return
	}
	defer tn.Release()
	if tn.Session.ID != first.Session.ID || tn.asked.ParentID != "p-bob" {
		t.Errorf("bob's turn on the other instance: session %s from %q, want %s from p-bob", tn.Session.ID, tn.asked.ParentID, first.Session.ID)
	}
}
