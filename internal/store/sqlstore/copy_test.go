package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// oneTurn is a session and its first call.
func oneTurn(id string, at time.Time) (qp.Session, qp.Exchange) {
	return qp.Session{ID: id, ChatID: "chat-" + id, Model: "qwen3-max", FirstUserMessage: "hello " + id, MessageCount: 2,
			CreatedAt: at, LastAccessed: at, ExpiresAt: at.Add(time.Hour)},
		qp.Exchange{
			Request: qp.Request{RequestID: "req-" + id, SessionID: id, Timestamp: at, Method: "POST", Path: "/v1/chat/completions",
				Model: "qwen3-max", OpenAIRequest: []byte(`{"n":1}`)},
			Response: qp.Response{ResponseID: "resp-" + id, Timestamp: at.Add(time.Second), Status: qp.StatusSuccess, HTTPStatus: 200,
				Duration: time.Second, OpenAIResponse: []byte(`{"id":"x"}`)},
		}
}

// A copy of a database in use keeps every call with its session: a
// conversation begun after the sessions were copied is copied with its first
// call (its calls were written without it, and a later copy skips calls the
// destination holds, so they stayed cut off).
func TestCopyOfASourceInUseKeepsCallsWithTheirSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		src, dst := storetest.Open(t, storetest.URL(t, "sqlite")), storetest.Open(t, dbURL)
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		s1, c1 := oneTurn("early", at)
		if err := src.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s1}, Exchanges: []qp.Exchange{c1}}); err != nil {
			t.Fatal(err)
		}
		begun := false
		_, err := sqlstore.Copy(ctx, src, dst, func(p sqlstore.CopyProgress) {
			if !begun && p.Calls == 0 { // the sessions are copied, the calls not yet
				begun = true
				s2, c2 := oneTurn("late", at.Add(time.Minute))
				if err := src.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s2}, Exchanges: []qp.Exchange{c2}}); err != nil {
					t.Error(err)
				}
			}
		})
		if err != nil || !begun {
			t.Fatalf("copy: %v (a conversation begun during it: %v)", err, begun)
		}
		var session string
		if err := dst.DB().QueryRow(`SELECT COALESCE(session_id, '') FROM requests WHERE request_id = 'req-late'`).Scan(&session); err != nil || session != "late" {
			t.Fatalf("the call begun during the copy has session %q (%v), want late", session, err)
		}
		if n := count(t, dst, `SELECT COUNT(*) FROM requests WHERE session_id IS NULL`); n != 0 {
			t.Fatalf("%d calls without their session", n)
		}
	})
}

// Text a client sends into columns — a first message with a NUL, a
// User-Agent or an unknown field's name that is not UTF-8 — is stored on
// both backends (PostgreSQL refused such a batch, and the spool's replay of
// it, so nothing more was recorded), as U+FFFD; and a SQLite history that
// holds such text from before copies to the other backend.
func TestClientTextWithNULAndInvalidUTF8IsStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		sess, call := oneTurn("nul", at)
		sess.FirstUserMessage = "null \x00 byte \xff"
		call.Request.UserAgent, call.Request.IgnoredParams = "ua\xff", []string{"x\x00y"}
		call.Response.Status, call.Response.ErrorType, call.Response.ErrorMessage = qp.StatusError, qp.ErrorTypeUpstream, "said \x00"
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{sess}, Exchanges: []qp.Exchange{call}}); err != nil {
			t.Fatalf("write: %v", err)
		}
		got, err := st.Session(ctx, "nul")
		if err != nil || got.FirstUserMessage != "null \uFFFD byte \uFFFD" {
			t.Fatalf("first message %q (%v)", got.FirstUserMessage, err)
		}
		rows, err := st.ListRequests(ctx, qp.CallFilter{}, qp.ListOptions{Limit: 10})
		if err != nil || len(rows.Items) != 1 {
			t.Fatalf("list: %v", err)
		}
		r := rows.Items[0]
		if r.UserAgent != "ua\uFFFD" || len(r.IgnoredParams) != 1 || r.IgnoredParams[0] != "x\uFFFDy" || r.Response.Error != "said \uFFFD" {
			t.Fatalf("stored %q %q %q", r.UserAgent, r.IgnoredParams, r.Response.Error)
		}

		// A SQLite history written before, with the NUL stored as it came.
		src := storetest.Open(t, storetest.URL(t, "sqlite"))
		old, oldCall := oneTurn("old", at)
		if err := src.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{old}, Exchanges: []qp.Exchange{oldCall}}); err != nil {
			t.Fatal(err)
		}
		if _, err := src.DB().ExecContext(ctx, `UPDATE sessions SET first_user_message = 'a' || char(0) || 'b'`); err != nil {
			t.Fatal(err)
		}
		if _, err := sqlstore.Copy(ctx, src, st, func(sqlstore.CopyProgress) {}); err != nil {
			t.Fatalf("copy: %v", err)
		}
		if got, err := st.Session(ctx, "old"); err != nil || got.FirstUserMessage != "a\uFFFDb" {
			t.Fatalf("copied first message %q (%v)", got.FirstUserMessage, err)
		}
	})
}

// Copying a history to another backend keeps each account's state and
// totals: a password Qwen refused stays refused on the destination (its
// servers tried it again, the refusal forgotten), a rate limit keeps its
// rest, and accounts ls shows the calls and failures it showed before,
// not zeros; a second copy adds nothing to them.
func TestCopyKeepsAnAccountsStateAndTotals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		src, dst := storetest.Open(t, storetest.URL(t, "sqlite")), storetest.Open(t, dbURL)
		now := time.UnixMilli(time.Now().UnixMilli())
		if err := src.PutAccount(ctx, qp.AccountRecord{ID: "eve@x.io", Source: qp.AccountStored, PasswordSealed: "v1.sealed", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		refused := qp.AccountState{State: "auth_failed", FailureClass: "forbidden", FailedCredential: "fp1", StateAt: now.Add(time.Second), ForbiddenRun: 3}
		if err := src.SaveAccountState(ctx, "eve@x.io", "", refused); err != nil {
			t.Fatal(err)
		}
		if err := src.AddAccountCounts(ctx, "eve@x.io", 7, map[string]int64{"auth": 1, "rate_limited": 2}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := sqlstore.Copy(ctx, src, dst, func(sqlstore.CopyProgress) {}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := dst.Accounts(ctx, "")
		if err != nil || len(got) != 1 {
			t.Fatalf("accounts %+v (%v)", got, err)
		}
		a := got[0]
		if a.State != "auth_failed" || a.FailedCredential != "fp1" || !a.StateAt.Equal(refused.StateAt) || a.ForbiddenRun != 3 || a.PasswordSealed != "v1.sealed" {
			t.Fatalf("copied state %+v, want %+v", a.AccountState, refused)
		}
		if a.Calls != 7 || a.Failures["auth"] != 1 || a.Failures["rate_limited"] != 2 {
			t.Fatalf("copied totals: %d calls, failures %v", a.Calls, a.Failures)
		}
	})
}

// A copy into a database whose instances run retention: the sessions of old
// conversations, copied first and idle with no calls yet, are deleted as
// empty before their calls follow, which copy them again. Each was counted
// twice: the copy of a history of 3 conversations said it had copied 6.
func TestCopySaysEachSessionOnceWhenRetentionDeletesItMeanwhile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		src, dst := storetest.Open(t, storetest.URL(t, "sqlite")), storetest.Open(t, dbURL)
		at := time.UnixMilli(time.Now().Add(-2 * time.Hour).UnixMilli()) // idle past SessionInFlight
		for _, id := range []string{"a", "b", "c"} {
			s, c := oneTurn(id, at)
			if err := src.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}, Exchanges: []qp.Exchange{c}}); err != nil {
				t.Fatal(err)
			}
		}
		swept := false
		res, err := sqlstore.Copy(ctx, src, dst, func(p sqlstore.CopyProgress) {
			if !swept && p.Calls == 0 { // the sessions are copied, the calls not yet
				swept = true
				if _, err := dst.DeleteOldestOver(ctx, 1<<40, 500); err != nil { // an instance's sweep: empty sessions only
					t.Error(err)
				}
			}
		})
		if err != nil || !swept {
			t.Fatalf("copy: %v (swept: %v)", err, swept)
		}
		if n := count(t, dst, `SELECT COUNT(*) FROM requests WHERE session_id IS NULL`); n != 0 {
			t.Fatalf("%d calls without their session", n)
		}
		if res.Sessions != 3 || res.SessionsThere != 0 || res.Calls != 3 {
			t.Fatalf("the copy says %d sessions copied and %d there, %d calls; want 3, 0 and 3", res.Sessions, res.SessionsThere, res.Calls)
		}
	})
}

// A copy keeps what the Responses and Conversations APIs hold beside the
// calls: a response object its owner deleted stays deleted (it was served
// again from the destination), and each conversation keeps its metadata and
// its entries in order (they were left behind: its conv_… id was unknown
// there). A second copy adds the entries the source gained since, once, and
// the destination numbers its own after them.
func TestCopyKeepsConversationsAndDeletedResponses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		src, dst := storetest.Open(t, storetest.URL(t, "sqlite")), storetest.Open(t, dbURL)
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		sess, call := oneTurn("conv", at)
		if err := src.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{sess}, Exchanges: []qp.Exchange{call}}); err != nil {
			t.Fatal(err)
		}
		if err := src.DeleteResponseObject(ctx, call.Request.RequestID, at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		conv := qp.ConversationObject{ID: "conv_copied", APIKeyID: "key-a", CreatedAt: at, Metadata: map[string]string{"topic": "copy"}}
		item := func(id string) qp.ConversationEntry {
			return qp.ConversationEntry{ID: id, CreatedAt: at, Item: []byte(`{"type":"message","role":"user","content":"` + id + `"}`)}
		}
		if err := src.CreateConversation(ctx, conv, []qp.ConversationEntry{item("first")}); err != nil {
			t.Fatal(err)
		}
		answered := qp.ConversationEntry{ID: call.Request.RequestID, CreatedAt: at, ResponseID: "resp_answered"}
		if err := src.AddConversationEntries(ctx, conv.ID, []qp.ConversationEntry{answered}); err != nil {
			t.Fatal(err)
		}
		copyAll := func() {
			t.Helper()
			if _, err := sqlstore.Copy(ctx, src, dst, func(sqlstore.CopyProgress) {}); err != nil {
				t.Fatalf("copy: %v", err)
			}
		}
		copyAll()
		if deleted, err := dst.ResponseObjectDeleted(ctx, call.Request.RequestID); err != nil || !deleted {
			t.Fatalf("the deleted response object is deleted on the destination: %v (%v)", deleted, err)
		}
		got, err := dst.Conversation(ctx, conv.ID)
		if err != nil || got.APIKeyID != "key-a" || got.Metadata["topic"] != "copy" || !got.CreatedAt.Equal(at) {
			t.Fatalf("copied conversation %+v (%v)", got, err)
		}
		entriesAre := func(want ...string) {
			t.Helper()
			entries, err := dst.ConversationEntries(ctx, conv.ID)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range entries {
				ids = append(ids, e.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(want) {
				t.Fatalf("entries %v, want %v", ids, want)
			}
		}
		entriesAre("first", call.Request.RequestID)

		if err := src.AddConversationEntries(ctx, conv.ID, []qp.ConversationEntry{item("later")}); err != nil {
			t.Fatal(err)
		}
		copyAll()
		entriesAre("first", call.Request.RequestID, "later")
		if err := dst.AddConversationEntries(ctx, conv.ID, []qp.ConversationEntry{item("on-dst")}); err != nil {
			t.Fatalf("an entry added on the destination after the copy: %v", err)
		}
		entriesAre("first", call.Request.RequestID, "later", "on-dst")
	})
}

// A call's replaces (the call whose answer it replaced, migration 0046) is
// stored, read back, and copied to another database with the call: a copy
// that dropped it left the transcript's marks of a call recorded without
// bodies behind.
func TestCopyKeepsTheCallAReplacementReplaced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		src, dst := storetest.Open(t, storetest.URL(t, "sqlite")), storetest.Open(t, dbURL)
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		s, first := oneTurn("r", at)
		_, again := oneTurn("r", at.Add(time.Second))
		again.Request.RequestID, again.Response.ResponseID = "req-r2", "resp-r2"
		again.Request.OpenAIRequest, again.Response.OpenAIResponse = nil, nil // recorded without bodies
		again.Request.Replaces = first.Request.RequestID
		if err := src.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}, Exchanges: []qp.Exchange{first, again}}); err != nil {
			t.Fatal(err)
		}
		if _, err := sqlstore.Copy(ctx, src, dst, func(sqlstore.CopyProgress) {}); err != nil {
			t.Fatal(err)
		}
		for _, st := range []*sqlstore.Store{src, dst} {
			res, err := st.ListRequests(ctx, qp.CallFilter{SessionID: "r"}, qp.ListOptions{Limit: 10, Asc: true})
			if err != nil || len(res.Items) != 2 {
				t.Fatalf("%s: %v %v", st.Backend(), res, err)
			}
			if got := [2]string{res.Items[0].Replaces, res.Items[1].Replaces}; got != [2]string{"", "req-r"} {
				t.Errorf("%s: replaces %q, want the second call's to name the first", st.Backend(), got)
			}
			if r, err := st.Request(ctx, "req-r2"); err != nil || r.Replaces != "req-r" {
				t.Errorf("%s: request req-r2: %+v %v", st.Backend(), r, err)
			}
		}
	})
}
