package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A deleted session's branches take the session it branched off from
// (” when it branched off from none), in the transaction that deletes it,
// so that no branch names a session that is gone — a later session of that
// id, another conversation, would be taken for its origin — and an
// X-Session-Id naming an ancestor still names them: deleted by id, and by
// retention (sessions left without calls, a chain of them at once). A
// branch's state written later, from before the delete, does not name the
// deleted session again.
func TestADeletedSessionsBranchesTakeItsOrigin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		now := time.Now().Truncate(time.Millisecond)
		old := now.Add(-48 * time.Hour)
		session := func(id, from string, at time.Time) qp.Session {
			return qp.Session{ID: id, ChatID: "chat-" + id, Model: "m", CreatedAt: at, LastAccessed: at, ExpiresAt: at.Add(time.Hour),
				MessageCount: 1, BranchedFrom: from}
		}
		call := func(id, sessionID string, at time.Time) qp.Exchange {
			return qp.Exchange{Request: qp.Request{RequestID: id, SessionID: sessionID, Timestamp: at, Method: "POST", Path: "/v1/responses"},
				Response: qp.Response{ResponseID: "r" + id, Timestamp: at, Status: qp.StatusSuccess, HTTPStatus: 200, ChatID: "chat-" + sessionID}}
		}
		branchedFrom := func(id string) string {
			t.Helper()
			s, err := st.Session(ctx, id)
			if err != nil {
				t.Fatalf("session %s: %v", id, err)
			}
			return s.BranchedFrom
		}
		want := func(what string, parents map[string]string) {
			t.Helper()
			for id, from := range parents {
				if got := branchedFrom(id); got != from {
					t.Errorf("%s: %s branched from %q, want %q", what, id, got, from)
				}
			}
		}

		// Deleted by id: a → b → {c, d}, c → e.
		b := qp.Batch{Sessions: []qp.Session{session("a", "", now), session("b", "a", now), session("c", "b", now),
			session("d", "b", now), session("e", "c", now)}}
		for _, id := range []string{"a", "b", "c", "d", "e"} {
			b.Exchanges = append(b.Exchanges, call("q-"+id, id, now))
		}
		if err := st.WriteBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		stale := b.Sessions[2] // c's state as a server's memory holds it
		if err := st.DeleteSession(ctx, "b"); err != nil {
			t.Fatal(err)
		}
		want("b deleted", map[string]string{"a": "", "c": "a", "d": "a", "e": "c"})
		if err := st.DeleteSession(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		want("a deleted", map[string]string{"c": "", "d": "", "e": "c"})
		stale.MessageCount, stale.LastAccessed = 2, now.Add(time.Second)
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{stale}}); err != nil {
			t.Fatal(err)
		}
		want("c's state from before written", map[string]string{"c": ""})

		// Retention: x → y → z, and g → h → i; x, y and h are left without
		// calls, made before the oldest call kept.
		b = qp.Batch{Sessions: []qp.Session{session("x", "", old), session("y", "x", old), session("z", "y", now),
			session("g", "", old), session("h", "g", old), session("i", "h", now)},
			Exchanges: []qp.Exchange{call("q-x", "x", old), call("q-y", "y", old), call("q-h", "h", old),
				call("q-z", "z", now), call("q-g", "g", now), call("q-i", "i", now)}}
		if err := st.WriteBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DeleteRequestsBefore(ctx, now.Add(-time.Hour), 100, nil); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"x", "y", "h"} {
			if _, err := st.Session(ctx, id); !errors.Is(err, qp.ErrNotFound) {
				t.Fatalf("session %s, left without calls, not deleted by retention: %v", id, err)
			}
		}
		want("retention", map[string]string{"z": "", "g": "", "i": "g", "e": "c"})
	})
}

// Migration 0045: a branch whose session was deleted before it (naming a
// session that is gone) branched off from none; one whose session is there
// keeps it.
func TestMigration0045ForgetsDeletedOrigins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		now := time.Now()
		var states []qp.Session
		for id, from := range map[string]string{"a": "", "b": "a", "c": "gone"} {
			states = append(states, qp.Session{ID: id, ChatID: "chat-" + id, Model: "m", CreatedAt: now, LastAccessed: now,
				ExpiresAt: now.Add(time.Hour), BranchedFrom: from})
		}
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: states}); err != nil {
			t.Fatal(err)
		}
		for _, stmt := range []string{`DROP INDEX sessions_branched_from`, `DELETE FROM schema_migrations WHERE version = 45`} {
			if _, err := st.DB().ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if n, err := st.Migrate(ctx); err != nil || n != 1 {
			t.Fatalf("migrated %d, %v; want 0045 applied", n, err)
		}
		for id, want := range map[string]string{"a": "", "b": "a", "c": ""} {
			if s, err := st.Session(ctx, id); err != nil || s.BranchedFrom != want {
				t.Fatalf("session %s after 0045: %+v %v, want branched from %q", id, s, err, want)
			}
		}
	})
}
