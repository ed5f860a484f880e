package session

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	qp "qwenproxy"
)

// Sessions answered once hold a tenth of the memory bound: a flood of
// one-shot calls (an agent's title and summary side calls, a script's single
// questions) neither pushes continuing conversations out of memory nor fills
// it, and a one-shot conversation that does return is read back from the
// database. Memory held 10,000 one-turn sessions, ~650 bytes each, and
// evicted the conversations that went on first, being the least recently
// used.
func TestOneTurnSessionsHoldATenthOfTheBound(t *testing.T) {
	mgr, _ := newManager(t)
	mgr.Bound(100, func(context.Context) bool { return true })
	ctx := context.Background()
	var chats atomic.Int32
	var continued []string
	for i := range 20 {
		first, err := mgr.Begin(ctx, Request{NewChat: newChat(&chats)})
		if err != nil {
			t.Fatal(err)
		}
		first.Advance(fmt.Sprint("p", i), fmt.Sprint("C", i), nil, nil)
		first.Release()
		next, err := mgr.Begin(ctx, Request{PrefixKey: fmt.Sprint("C", i), HasHistory: true, NewChat: newChat(&chats)})
		if err != nil || next.Session.ID != first.Session.ID {
			t.Fatalf("conversation %d did not continue: %v", i, err)
		}
		next.Advance(fmt.Sprint("q", i), fmt.Sprint("D", i), nil, nil)
		next.Release()
		continued = append(continued, next.Session.ID)
	}
	// A first turn that failed: its client's retry finds it in memory only
	// (findUnanswered), so it is not one of the one-turn sessions.
	failedSent := []qp.Message{{Role: "user", Text: "a first question whose answer failed"}}
	failed, err := mgr.Begin(ctx, Request{Sent: failedSent, NewChat: newChat(&chats)})
	if err != nil {
		t.Fatal(err)
	}
	failed.Touch()
	failed.Release()
	for i := range 200 {
		turn, err := mgr.Begin(ctx, Request{NewChat: newChat(&chats)})
		if err != nil {
			t.Fatal(err)
		}
		turn.Advance(fmt.Sprint("o", i), fmt.Sprint("O", i), nil, nil)
		turn.Release()
		mgr.evictOverflow(ctx, quietLog) // as the cleanup loop does when signalled
	}
	mgr.mu.Lock()
	for _, id := range continued {
		if _, ok := mgr.cache[id]; !ok {
			t.Errorf("continued conversation %s left memory for one-shot calls", id)
		}
	}
	ones, counted := oneTurnSessions(mgr), mgr.oneTurnCached
	mgr.mu.Unlock()
	if ones > 10 || ones != counted {
		t.Fatalf("%d one-turn sessions in memory (counted %d), at most 10 of a bound of 100", ones, counted)
	}
	retry, err := mgr.Begin(ctx, Request{Sent: failedSent, NewChat: newChat(&chats)})
	if err != nil || retry.Session.ID != failed.Session.ID {
		t.Fatalf("the failed first turn's retry: session %s, want %s (%v)", retry.Session.ID, failed.Session.ID, err)
	}
	retry.Touch()
	retry.Release()
	// The oldest one-shot conversation returns: from the database.
	back, err := mgr.Begin(ctx, Request{PrefixKey: "O0", HasHistory: true, NewChat: newChat(&chats)})
	if err != nil || back.Session.ParentID != "o0" || back.Replay {
		t.Fatalf("evicted one-turn session by key: %+v %v", back.Session, err)
	}
	back.Advance("o0b", "O0b", nil, nil)
	back.Release()
	mgr.Forget(back.Session.ID)
	mgr.mu.Lock()
	defer mgr.mu.Unlock()
	if ones = oneTurnSessions(mgr); ones != mgr.oneTurnCached {
		t.Fatalf("%d one-turn sessions in memory, counted %d", ones, mgr.oneTurnCached)
	}
}

// oneTurnSessions counts the sessions in mgr's memory answered once.
// The caller holds mgr.mu.
func oneTurnSessions(mgr *Manager) int {
	n := 0
	for _, s := range mgr.cache {
		if s.MessageCount == 1 {
			n++
		}
	}
	return n
}
