package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A deleted session's state written late is not stored, nor are the calls
// it was asked before its delete (in its chat, or begun before it: in
// flight, or queued in a recorder, as it was deleted) — its delete deletes
// its calls; a call naming a session that does not exist otherwise (its
// state lost by the recorder) is stored without it rather than hold its
// batch back for ever.
func TestDeletedSessionsStayDeletedAndOrphanCallsAreKept(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		now := time.Now()
		sess := qp.Session{ID: "s1", ChatID: "c1", Model: "m", CreatedAt: now, LastAccessed: now, ExpiresAt: now.Add(time.Hour), MessageCount: 1}
		call := func(id, session, chat string) qp.Exchange {
			return qp.Exchange{Request: qp.Request{RequestID: id, SessionID: session, Timestamp: now, Method: "POST", Path: "/v1/chat/completions"},
				Response: qp.Response{ResponseID: "r" + id, Timestamp: now, Status: qp.StatusSuccess, HTTPStatus: 200, ChatID: chat}}
		}
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{sess}, Exchanges: []qp.Exchange{call("req-1", "s1", "c1")}}); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteSession(ctx, "s1"); err != nil {
			t.Fatal(err)
		}
		late := sess
		late.MessageCount = 2
		// req-2b failed before it had a chat: begun before the delete, it
		// goes all the same.
		failed := call("req-2b", "s1", "")
		failed.Request.OpenAIRequest = []byte(`{"model":"m","input":[{"type":"message","id":"msg_own1","role":"user","content":"hi"}]}`)
		failed.Request.Path, failed.Response.HTTPStatus = "/v1/responses", 200
		orphan := call("req-3", "never-saved", "c9")
		orphan.Request.OpenAIRequest = []byte(`{"model":"m","input":[{"type":"message","id":"msg_kept1","role":"user","content":"hi"}]}`)
		orphan.Request.Path = "/v1/responses"
		batch := qp.Batch{Sessions: []qp.Session{late}, Exchanges: []qp.Exchange{call("req-2", "s1", "c1"), orphan, failed}}
		if err := st.WriteBatch(ctx, batch); err != nil {
			t.Fatalf("a batch naming deleted and unknown sessions: %v", err)
		}
		if batch.Exchanges[0].Request.SessionID != "s1" || len(batch.Exchanges) != 3 {
			t.Fatal("the caller's batch was changed")
		}
		for _, id := range []string{"req-2", "req-2b"} {
			if rec, err := st.Request(ctx, id); !errors.Is(err, qp.ErrNotFound) {
				t.Fatalf("call %s, asked before its session's delete, was stored after it: %+v %v", id, rec, err)
			}
		}
		if _, err := st.Session(ctx, "s1"); !errors.Is(err, qp.ErrNotFound) {
			t.Fatalf("the deleted session came back: %v", err)
		}
		if deleted, err := st.Deleted(ctx, "s1", "c1"); err != nil || !deleted {
			t.Fatalf("deleted %v %v", deleted, err)
		}
		if rec, err := st.Request(ctx, "req-3"); err != nil || rec.SessionID != "" {
			t.Fatalf("call req-3: %+v %v", rec, err)
		}
		// The item ids of the calls kept, and only theirs, are indexed.
		for item, want := range map[string]string{"msg_kept1": "req-3", "msg_own1": ""} {
			if got, err := st.CallWithItem(ctx, "", item); err != nil || got != want {
				t.Fatalf("the call with item %s: %q %v, want %q", item, got, err, want)
			}
		}
		// The same id may start over, with a chat of its own: its calls,
		// begun after the delete, are kept.
		after := now.Add(time.Hour)
		fresh := qp.Session{ID: "s1", ChatID: "c2", Model: "m", CreatedAt: after, LastAccessed: after, ExpiresAt: after.Add(time.Hour)}
		next := call("req-4", "s1", "c2")
		next.Request.Timestamp, next.Response.Timestamp = after, after
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{fresh}, Exchanges: []qp.Exchange{next}}); err != nil {
			t.Fatal(err)
		}
		if rec, err := st.Request(ctx, "req-4"); err != nil || rec.SessionID != "s1" {
			t.Fatalf("the new session's call: %+v %v", rec, err)
		}
		if got, err := st.Session(ctx, "s1"); err != nil || got.ChatID != "c2" {
			t.Fatalf("the new session of that id: %+v %v", got, err)
		}
	})
}

// The same holds for batches naming more sessions than one lookup takes
// (the ids are looked up in lists of at most 128).
func TestManySessionsInOneBatchAreCheckedAlike(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		now := time.Now()
		state := func(id string) qp.Session {
			return qp.Session{ID: id, ChatID: "chat-" + id, Model: "m", CreatedAt: now, LastAccessed: now, ExpiresAt: now.Add(time.Hour), MessageCount: 1}
		}
		call := func(id, session string) qp.Exchange {
			return qp.Exchange{Request: qp.Request{RequestID: id, SessionID: session, Timestamp: now, Method: "POST", Path: "/v1/chat/completions"},
				Response: qp.Response{ResponseID: "r" + id, Timestamp: now, Status: qp.StatusSuccess, HTTPStatus: 200, ChatID: "chat-" + session}}
		}
		const n = 150
		var stored []qp.Session
		for i := range n {
			stored = append(stored, state(fmt.Sprint("old-", i)))
		}
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: stored}); err != nil {
			t.Fatal(err)
		}
		deleted := map[string]bool{"old-0": true, "old-77": true, "old-149": true}
		for id := range deleted {
			if err := st.DeleteSession(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		want := map[string]string{} // call: the session it must be stored with
		var batch qp.Batch
		for i := range n {
			old, unknown, fresh := fmt.Sprint("old-", i), fmt.Sprint("unknown-", i), fmt.Sprint("new-", i)
			batch.Sessions = append(batch.Sessions, state(fresh))
			batch.Exchanges = append(batch.Exchanges, call("call-"+old, old), call("call-"+unknown, unknown), call("call-"+fresh, fresh))
			want["call-"+unknown], want["call-"+fresh], want["call-"+old] = "", fresh, old
		}
		if err := st.WriteBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
		for id := range deleted { // asked before its session's delete: gone with it
			if rec, err := st.Request(ctx, "call-"+id); !errors.Is(err, qp.ErrNotFound) {
				t.Fatalf("call-%s: %+v %v; want none", id, rec, err)
			}
			delete(want, "call-"+id)
		}
		for id, session := range want {
			rec, err := st.Request(ctx, id)
			if err != nil || rec.SessionID != session {
				t.Fatalf("call %s: %+v %v; want session %q", id, rec, err, session)
			}
		}
	})
}
