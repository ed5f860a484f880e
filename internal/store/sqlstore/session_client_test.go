package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// A session keeps the client's id of the conversation that opened it
// (sessions.client_session_id, migration 0050) through every read a turn
// makes — by id, by its history's key, by its last turn's, under its lock
// on a shared database — and the history's; a later state written without
// it (a build before it was kept, replayed from the spool) keeps it, and a
// copy to another database carries it. A session opened without one has
// none.
func TestSessionsKeepTheClientsSessionID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		now := time.UnixMilli(time.Now().UnixMilli())
		const agent = "c253dc9b-5991-4b17-9cba-0129827917e3"
		s := qp.Session{ID: "s1", ChatID: "c1", ParentID: "p1", Model: "m", MessageCount: 1, ConversationKey: "K1",
			CreatedAt: now, LastAccessed: now, ExpiresAt: now.Add(time.Hour), ClientSessionID: agent,
			Prior: qp.SessionPrior{ConversationKey: "K0"}}
		none := qp.Session{ID: "s2", ChatID: "c2", ParentID: "p2", Model: "m", MessageCount: 1, ConversationKey: "K2",
			CreatedAt: now, LastAccessed: now, ExpiresAt: now.Add(time.Hour)}
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s, none}}); err != nil {
			t.Fatal(err)
		}
		check := func(what string, got *qp.Session, err error, want string) {
			t.Helper()
			if err != nil || got.ClientSessionID != want {
				t.Errorf("%s: %+v, %v; want client session %q", what, got, err, want)
			}
		}
		got, err := st.Session(ctx, "s1")
		check("by id", got, err, agent)
		got, err = st.SessionByKey(ctx, "K1", "", "", now)
		check("by key", got, err, agent)
		got, err = st.SessionByKey(ctx, "K1", "", agent, now)
		check("by key, for its client", got, err, agent)
		// Another client's conversation is not found by the key: a
		// session of its own, or one opened without an id, is; of two
		// sessions expecting one key, the client's own however used.
		if got, err := st.SessionByKey(ctx, "K1", "", "ses_fork", now); !errors.Is(err, qp.ErrNotFound) {
			t.Errorf("found for another client: %+v %v", got, err)
		}
		if got, err := st.SessionByKey(ctx, "K1", "call_x", "ses_fork", now); !errors.Is(err, qp.ErrNotFound) {
			t.Errorf("found for another client by a call: %+v %v", got, err)
		}
		got, err = st.SessionByKey(ctx, "K2", "call_x", "ses_fork", now)
		check("opened without one, by any client", got, err, "")
		fork := qp.Session{ID: "s3", ChatID: "c3", ParentID: "p3", Model: "m", MessageCount: 1, ConversationKey: "K1",
			CreatedAt: now, LastAccessed: now.Add(time.Millisecond), ExpiresAt: now.Add(time.Hour), ClientSessionID: "ses_fork"}
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{fork}}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ client, call, want string }{{agent, "", "s1"}, {agent, "call_x", "s1"}, {"ses_fork", "", "s3"}, {"", "", "s3"}} {
			if got, err := st.SessionByKey(ctx, "K1", c.call, c.client, now); err != nil || got.ID != c.want {
				t.Errorf("by key for client %q, call %q: %+v %v; want %s", c.client, c.call, got, err, c.want)
			}
		}
		got, err = st.SessionByPriorKey(ctx, "K0", "", "", now.Add(time.Second), now)
		check("by its last turn's key", got, err, agent)
		got, err = st.SessionByPriorKey(ctx, "K0", "", agent, now.Add(time.Second), now)
		check("by its last turn's key, for its client", got, err, agent)
		if got, err := st.SessionByPriorKey(ctx, "K0", "", "ses_fork", now.Add(time.Second), now); !errors.Is(err, qp.ErrNotFound) {
			t.Errorf("found by its last turn's key for another client: %+v %v", got, err)
		}
		rec, err := st.SessionRecord(ctx, "s1")
		if err != nil || rec.ClientSessionID != agent {
			t.Errorf("its record: %+v, %v", rec, err)
		}
		got, err = st.Session(ctx, "s2")
		check("opened without one", got, err, "")
		if locker := st.Locker(); locker != nil { // PostgreSQL: the turns read and write it under the lock
			held, err := locker.LockSession(ctx, "s1")
			if err != nil {
				t.Fatal(err)
			}
			got, err := held.Session(ctx)
			check("under its lock", got, err, agent)
			next := *got
			next.MessageCount, next.LastAccessed = 2, now.Add(time.Second)
			if err := held.Save(ctx, next); err != nil {
				t.Fatal(err)
			}
			held.Unlock()
		}

		// A later state without the id keeps it.
		s.ClientSessionID, s.MessageCount, s.LastAccessed = "", 3, now.Add(2*time.Second)
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}}); err != nil {
			t.Fatal(err)
		}
		got, err = st.Session(ctx, "s1")
		check("after a state without it", got, err, agent)
		if got != nil && got.MessageCount != 3 {
			t.Errorf("the later state was not written: %+v", got)
		}
		list, err := st.ListSessions(ctx, qp.SessionFilter{}, qp.ListOptions{Limit: 10})
		if err != nil || len(list.Items) != 3 {
			t.Fatalf("listed %+v, %v", list, err)
		}
		for _, item := range list.Items {
			if want := map[string]string{"s1": agent, "s2": "", "s3": "ses_fork"}[item.ID]; item.ClientSessionID != want {
				t.Errorf("listed %s with client session %q, want %q", item.ID, item.ClientSessionID, want)
			}
		}

		dst := storetest.Open(t, storetest.URL(t, "sqlite"))
		if _, err := sqlstore.Copy(ctx, st, dst, func(sqlstore.CopyProgress) {}); err != nil {
			t.Fatal(err)
		}
		got, err = dst.Session(ctx, "s1")
		check("copied", got, err, agent)
	})
}

// Migration 0050 adds the column to a populated database: the sessions
// opened before it have no id (and are matched by any call, as before), one
// written after it keeps its own.
func TestMigration0050KeepsTheClientsSessionOfLaterSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		s1, c1 := oneTurn("before", at)
		c1.Request.ClientSessionID = "ses_before"
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s1}, Exchanges: []qp.Exchange{c1}}); err != nil {
			t.Fatal(err)
		}
		for _, stmt := range []string{`ALTER TABLE sessions DROP COLUMN client_session_id`, `DELETE FROM schema_migrations WHERE version = 50`} {
			if _, err := st.DB().ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if n, err := st.Migrate(ctx); err != nil || n != 1 {
			t.Fatalf("migrated %d, %v; want migration 0050 applied", n, err)
		}
		st = storetest.Open(t, dbURL) // a start after the upgrade
		old, err := st.Session(ctx, "before")
		if err != nil || old.ClientSessionID != "" || old.ChatID != "chat-before" {
			t.Fatalf("the session opened before the migration: %+v, %v", old, err)
		}
		if rq, err := st.Request(ctx, "req-before"); err != nil || rq.ClientSessionID != "ses_before" {
			t.Fatalf("its call: %+v, %v", rq, err)
		}
		s2, c2 := oneTurn("after", at.Add(time.Minute))
		s2.ClientSessionID, c2.Request.ClientSessionID = "ses_after", "ses_after"
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s2}, Exchanges: []qp.Exchange{c2}}); err != nil {
			t.Fatal(err)
		}
		if got, err := st.Session(ctx, "after"); err != nil || got.ClientSessionID != "ses_after" {
			t.Fatalf("a session opened after the migration: %+v, %v", got, err)
		}
		if n := count(t, st, `SELECT COUNT(*) FROM sessions WHERE client_session_id IS NULL`); n != 1 {
			t.Fatalf("%d sessions without a client session, want 1", n)
		}
	})
}
