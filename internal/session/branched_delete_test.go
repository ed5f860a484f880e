package session

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	qp "qwenproxy"
)

// Deleting a session gives its branches the session it branched off from
// (the store does, in the delete's transaction): the name of that one still
// names them, the deleted one's no longer does — nor does a later session
// under the deleted one's id, another conversation — though memory still
// holds the branches' states from before the delete.
func TestBranchOfAfterADelete(t *testing.T) {
	mgr, st := newManager(t)
	ctx := context.Background()
	var chats atomic.Int32
	start := time.Now()
	var clock atomic.Int64
	mgr.now = func() time.Time { return start.Add(time.Duration(clock.Add(1)) * time.Second) }
	named, b, c := branchTree(t, mgr, &chats)
	deleteSession := func(id string) {
		t.Helper()
		mgr.Forget(id) // as DELETE /v1/sessions/{id} does
		if err := st.DeleteSession(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string, cases map[string]bool) {
		t.Helper()
		for _, fresh := range []bool{false, true} {
			m := mgr
			if fresh {
				m = NewManager(st, nil, func(qp.Session) {}, time.Minute, func() string { return "fresh" })
			}
			for n, want := range cases {
				if got, err := m.BranchOf(ctx, c, n, ""); err != nil || got != want {
					t.Errorf("%s, fresh %v: BranchOf(%s, %s) = %v, %v; want %v", when, fresh, c, n, got, err, want)
				}
			}
		}
	}
	deleteSession(b)
	check("b deleted", map[string]bool{named: true, b: false})
	// A session of b's id again: a conversation of its own, made later.
	if again := answerAs(t, mgr, Request{ExplicitID: b, Named: true, NewChat: newChat(&chats)}, "r6"); again != b {
		t.Fatalf("session %s", again)
	}
	check("b made again", map[string]bool{named: true, b: false})
	deleteSession(named)
	check("the first deleted", map[string]bool{named: false, b: false})
}
