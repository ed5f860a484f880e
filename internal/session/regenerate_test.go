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

// A turn that goes on from the answer its session's latest turn was asked
// from (an SDK's retry of a call answered meanwhile, or a regenerate) is
// asked again in the session's chat, hung where that turn hung and told
// from what the chat had been told there, its calls the ones its results
// answer; a failed one leaves the session as it was, an answered one moves
// it on, still one step back from its own answer. Anything further back
// branches off. Read back from the database too.
func TestExplicitSessionRegeneratesFromTheAnswerBeforeItsLatest(t *testing.T) {
	mgr, st := newManager(t)
	ctx := context.Background()
	var chats atomic.Int32
	branch := func(context.Context) (string, error) { return "branch", nil }
	refuse := func(context.Context) (string, error) { return "", errors.New("no new chat for a continuation") }
	answer := func(m *Manager, continues, requestID, parent string, calls []string) *Turn {
		t.Helper()
		turn, err := m.Begin(ctx, Request{ExplicitID: "s", Continues: continues, NewChat: newChat(&chats), ReplaceChat: refuse, Branch: branch})
		if err != nil {
			t.Fatal(err)
		}
		turn.Session.LastRequestID = requestID
		turn.SetTold("sys-"+requestID, "tools-"+requestID)
		turn.Advance(parent, "K-"+requestID, calls, calls)
		turn.Release()
		return turn
	}
	answer(mgr, "", "r1", "p1", []string{"call1"})
	answer(mgr, "r1", "r2", "p2", nil)

	for _, fresh := range []bool{false, true} {
		m := mgr
		if fresh { // the state read back from the database
			m = NewManager(st, nil, func(qp.Session) {}, time.Minute, func() string { return "fresh" })
		}
		again, err := m.Begin(ctx, Request{ExplicitID: "s", Continues: "R1", NewChat: refuse, ReplaceChat: refuse, Branch: branch})
		if err != nil || !again.Regenerates || again.Session.ID != "s" || again.Session.ChatID != "chat1" || again.Session.ParentID != "p1" ||
			again.Session.LastRequestID != "r1" || again.FirstTurn() || again.Replay || !slices.Equal(again.Session.LastCallIDs, []string{"call1"}) {
			t.Fatalf("fresh %v: from the answer before the latest: %+v %v", fresh, again, err)
		}
		if system, tools := again.Told(); system != "sys-r1" || tools != "tools-r1" {
			t.Fatalf("fresh %v: told %q, %q: not what the chat had been told under p1", fresh, system, tools)
		}
		again.Touch() // it failed
		again.Release()
		if s, err := st.Session(ctx, "s"); err != nil || s.ParentID != "p2" || s.LastRequestID != "r2" || s.ToldSystemHash != "sys-r2" ||
			s.Prior.ParentID != "p1" || s.Prior.RequestID != "r1" {
			t.Fatalf("fresh %v: after a failed regenerate: %+v %v", fresh, s, err)
		}
	}
	answer(mgr, "r1", "r3", "p3", nil)
	s, err := st.Session(ctx, "s")
	if err != nil || s.ParentID != "p3" || s.LastRequestID != "r3" || s.ChatID != "chat1" || s.MessageCount != 2 ||
		s.Prior.ParentID != "p1" || s.Prior.RequestID != "r1" || !slices.Equal(s.Prior.CallIDs, []string{"call1"}) ||
		s.Prior.ToldSystemHash != "sys-r1" {
		t.Fatalf("after a regenerate: %+v %v", s, err)
	}
	// r2, the answer asked again, is neither the latest nor the one before.
	b, err := mgr.Begin(ctx, Request{ExplicitID: "s", Continues: "r2", NewChat: refuse, ReplaceChat: refuse, Branch: branch})
	if err != nil || b.Regenerates || b.BranchedFrom != "s" || b.Session.ChatID != "branch" {
		t.Fatalf("from the answer asked again: %+v %v", b, err)
	}
	b.Release()
	answer(mgr, "r3", "r4", "p4", nil)
	b, err = mgr.Begin(ctx, Request{ExplicitID: "s", Continues: "r1", NewChat: refuse, ReplaceChat: refuse, Branch: branch})
	if err != nil || b.Regenerates || b.BranchedFrom != "s" {
		t.Fatalf("from two turns back: %+v %v", b, err)
	}
	b.Release()
	if owns, branches, err := mgr.Owns(ctx, "s", "", "r3"); err != nil || !owns || branches {
		t.Fatalf("Owns from the answer before the latest: %v %v %v", owns, branches, err)
	}
	if owns, branches, err := mgr.Owns(ctx, "s", "", "r1"); err != nil || !owns || !branches {
		t.Fatalf("Owns from two turns back: %v %v %v", owns, branches, err)
	}
	// Refused as too long, a regenerate leaves the chat as one without an
	// answered turn, its latest answer still the one it was.
	again, err := mgr.Begin(ctx, Request{ExplicitID: "s", Continues: "r3", NewChat: refuse, ReplaceChat: refuse, Branch: branch})
	if err != nil || !again.Regenerates {
		t.Fatalf("from the answer before the latest: %+v %v", again, err)
	}
	again.Outgrown()
	again.Release()
	if s, err := st.Session(ctx, "s"); err != nil || s.ParentID != "" || s.LastRequestID != "r4" || s.Prior.ParentID != "" {
		t.Fatalf("after a regenerate refused as too long: %+v %v", s, err)
	}
}

// A session whose chat was replaced (Rechat: Qwen no longer knew it) has no
// turn to ask again in its new chat: a turn from the answer before its
// latest branches off, as any earlier one does.
func TestNoRegenerateAcrossChats(t *testing.T) {
	mgr, _ := newManager(t)
	ctx := context.Background()
	var chats atomic.Int32
	first, err := mgr.Begin(ctx, Request{ExplicitID: "s", NewChat: newChat(&chats)})
	if err != nil {
		t.Fatal(err)
	}
	first.Session.LastRequestID = "r1"
	first.Advance("p1", "K1", nil, nil)
	first.Release()
	second, err := mgr.Begin(ctx, Request{ExplicitID: "s", Continues: "r1", NewChat: newChat(&chats)})
	if err != nil {
		t.Fatal(err)
	}
	second.Rechat("chat9") // moved to another account, told the conversation
	second.Session.LastRequestID = "r2"
	second.Advance("p9", "K2", nil, nil)
	second.Release()
	b, err := mgr.Begin(ctx, Request{ExplicitID: "s", Continues: "r1", NewChat: newChat(&chats),
		Branch: func(context.Context) (string, error) { return "branch", nil }})
	if err != nil || b.Regenerates || b.BranchedFrom != "s" {
		t.Fatalf("from the answer before a new chat's first: %+v %v", b, err)
	}
	b.Release()
}
