package session

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	qp "qwenproxy"
)

// A branch keeps the session it branched off from, so that the name of that
// session (an X-Session-Id) still names the branch, and the branches of the
// branch; no other session's name, nor another key's call, does. Read back
// from the database too.
func TestBranchOfNamesTheSessionsABranchCameFrom(t *testing.T) {
	mgr, st := newManager(t)
	ctx := context.Background()
	var chats atomic.Int32
	named, b, c := branchTree(t, mgr, &chats)
	if b == named || c == b || c == named || chats.Load() != 3 {
		t.Fatalf("sessions %s, %s, %s on %d chats", named, b, c, chats.Load())
	}
	for _, fresh := range []bool{false, true} {
		m := mgr
		if fresh {
			m = NewManager(st, nil, func(qp.Session) {}, time.Minute, func() string { return "fresh" })
		}
		for _, tc := range []struct {
			id, named, owner string
			want             bool
		}{
			{b, named, "", true},
			{c, named, "", true},
			{c, b, "", true},
			{b, c, "", false},
			{named, b, "", false},
			{c, "other-thread", "", false},
			{c, named, "another key", false},
			{"no-such-session", named, "", false},
		} {
			if got, err := m.BranchOf(ctx, tc.id, tc.named, tc.owner); err != nil || got != tc.want {
				t.Errorf("fresh %v: BranchOf(%s, %s, %q) = %v, %v; want %v", fresh, tc.id, tc.named, tc.owner, got, err, tc.want)
			}
		}
	}
}

// answerAs begins req's turn on mgr and answers it as the call requestID
// (its node p-requestID), returning the session's id.
func answerAs(t *testing.T, mgr *Manager, req Request, requestID string) string {
	t.Helper()
	turn, err := mgr.Begin(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	turn.Session.LastRequestID = requestID
	turn.Advance("p-"+requestID, "", nil, nil)
	turn.Release()
	return turn.Session.ID
}

// branchTree answers, on chats counted in chats, a session named my-thread,
// a branch off it and a branch off that branch, each branch from two turns
// back (one back is asked again in the chat), and returns their ids.
func branchTree(t *testing.T, mgr *Manager, chats *atomic.Int32) (named, b, c string) {
	t.Helper()
	refuse := func(context.Context) (string, error) { return "", fmt.Errorf("no new chat for a continuation") }
	answer := func(req Request, requestID string) string { return answerAs(t, mgr, req, requestID) }
	named = answer(Request{ExplicitID: "my-thread", Named: true, NewChat: newChat(chats)}, "r1")
	answer(Request{ExplicitID: named, Continues: "r1", NewChat: refuse}, "r2")
	answer(Request{ExplicitID: named, Continues: "r2", NewChat: refuse}, "r2b")
	b = answer(Request{ExplicitID: named, Continues: "r1", NewChat: refuse, Branch: newChat(chats)}, "r3")
	answer(Request{ExplicitID: b, Continues: "r3", NewChat: refuse}, "r4")
	answer(Request{ExplicitID: b, Continues: "r4", NewChat: refuse}, "r4b")
	c = answer(Request{ExplicitID: b, Continues: "r3", NewChat: refuse, Branch: newChat(chats)}, "r5")
	return named, b, c
}
