// The store's contract: every test runs on SQLite and on PostgreSQL.
package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

func TestMigrationsApplyOnceAndReportStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st, err := store.Open(ctx, dbURL, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		before, err := st.MigrationStatus(ctx)
		if err != nil || len(before) == 0 || !before[0].AppliedAt.IsZero() {
			t.Fatalf("status before: %+v %v", before, err)
		}
		n, err := st.Migrate(ctx)
		if err != nil || n != len(before) {
			t.Fatalf("applied %d of %d: %v", n, len(before), err)
		}
		if n, err := st.Migrate(ctx); err != nil || n != 0 {
			t.Fatalf("second run applied %d: %v", n, err)
		}
		after, _ := st.MigrationStatus(ctx)
		for _, m := range after {
			if m.AppliedAt.IsZero() {
				t.Fatalf("%s still pending", m.Name)
			}
		}
	})
}

func TestSessions(t *testing.T) { storetest.Each(t, testSessions) }

func testSessions(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	now := time.UnixMilli(time.Now().UnixMilli())
	s := qp.Session{ID: "s1", ChatID: "c1", Model: "m", FirstUserMessage: "hi", CreatedAt: now, LastAccessed: now, ExpiresAt: now.Add(time.Minute)}
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Session(ctx, "s1")
	if err != nil || !reflect.DeepEqual(*got, s) {
		t.Fatalf("got %+v, want %+v (%v)", got, s, err)
	}
	if _, err := st.Session(ctx, "nope"); !errors.Is(err, qp.ErrNotFound) {
		t.Fatalf("missing session: %v", err)
	}
	// A later state replaces the earlier one, its first user message too (a
	// session a side call opened is renamed by its main thread); creation
	// stays.
	s.ParentID, s.ConversationKey, s.MessageCount = "p", "K", 1
	s.ToldSystemHash, s.ToldToolsHash = "sys-hash", "tools-hash"
	s.LastAccessed, s.FirstUserMessage = now.Add(time.Second), "renamed"
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}}); err != nil {
		t.Fatal(err)
	}
	byKey, err := st.SessionByKey(ctx, "K", "", "", now)
	if err != nil || byKey.ParentID != "p" || byKey.MessageCount != 1 || byKey.FirstUserMessage != "renamed" || !byKey.CreatedAt.Equal(now) ||
		byKey.ToldSystemHash != "sys-hash" || byKey.ToldToolsHash != "tools-hash" {
		t.Fatalf("by key %+v %v", byKey, err)
	}
	// A later state without one keeps it: memory forgets a session's first
	// message once it is written (qp.Session.Replacing).
	s.MessageCount, s.LastAccessed, s.FirstUserMessage = 2, now.Add(2*time.Second), ""
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}}); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Session(ctx, "s1"); err != nil || got.MessageCount != 2 || got.FirstUserMessage != "renamed" {
		t.Fatalf("after a state without a first user message: %+v %v", got, err)
	}
	if _, err := st.SessionByKey(ctx, "K", "", "", now.Add(time.Hour)); !errors.Is(err, qp.ErrNotFound) {
		t.Fatalf("expired session found by key: %v", err)
	}
	if n, err := st.ForgetExpiredKeys(ctx, now.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("forgot %d: %v", n, err)
	}
	if got, _ := st.Session(ctx, "s1"); got == nil || got.ConversationKey != "" {
		t.Fatalf("after forgetting: %+v", got)
	}
}

// Of the live sessions expecting one key (conversations identical so far),
// a request answering a tool call finds the one whose last answer made it,
// however recently the others were used; a call id no answer made (or one
// only part of another's), or none, finds the most recently used.
func TestSessionByKeyPrefersTheCallsMaker(t *testing.T) {
	storetest.Each(t, testSessionByKeyPrefersTheCallsMaker)
}

func testSessionByKeyPrefersTheCallsMaker(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	now := time.UnixMilli(time.Now().UnixMilli())
	state := func(id string, at time.Duration, calls ...string) qp.Session {
		return qp.Session{ID: id, ChatID: "c-" + id, ParentID: "p", Model: "m", FirstUserMessage: "hi", MessageCount: 1, ConversationKey: "K",
			CreatedAt: now, LastAccessed: now.Add(at), ExpiresAt: now.Add(time.Hour), LastCallIDs: calls}
	}
	batch := []qp.Session{state("a", time.Second, "call_a1", "call_a2"), state("b", 2*time.Second, "call_b1"),
		state("c", 3*time.Second, "call_a1x"), state("none", 4*time.Second)}
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: batch}); err != nil {
		t.Fatal(err)
	}
	for callID, want := range map[string]string{"call_a1": "a", "call_a2": "a", "call_b1": "b", "call_a1x": "c",
		"call_a": "none", "call_a1 call_a2": "none", "": "none", "call_zz": "none"} {
		got, err := st.SessionByKey(ctx, "K", callID, "", now)
		if err != nil || got.ID != want {
			t.Errorf("call %q: session %+v %v, want %s", callID, got, err, want)
		}
	}
	if got, err := st.Session(ctx, "a"); err != nil || !reflect.DeepEqual(got.LastCallIDs, []string{"call_a1", "call_a2"}) {
		t.Fatalf("session a: %+v %v", got, err)
	}
	if got, err := st.Session(ctx, "none"); err != nil || got.LastCallIDs != nil {
		t.Fatalf("session none: %+v %v", got, err)
	}
	// A later state of a session replaces its call ids.
	next := state("a", 5*time.Second)
	next.MessageCount = 2
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{next}}); err != nil {
		t.Fatal(err)
	}
	if got, err := st.SessionByKey(ctx, "K", "call_a1", "", now); err != nil || got.ID != "a" || got.LastCallIDs != nil {
		t.Fatalf("after a's next turn: %+v %v", got, err)
	}
}

// A batch holding several states of one session (turns that ended within
// one commit, a spool replayed) stores the newest: more messages win, then
// the later access, and of two alike the later in the batch; a batch of
// hundreds of sessions is written whole.
func TestSessionStatesInOneBatch(t *testing.T) { storetest.Each(t, testSessionStatesInOneBatch) }

func testSessionStatesInOneBatch(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	now := time.UnixMilli(time.Now().UnixMilli())
	state := func(id string, messages int, at time.Duration, parent string) qp.Session {
		return qp.Session{ID: id, ChatID: "c-" + id, ParentID: parent, Model: "m", FirstUserMessage: "hi", MessageCount: messages,
			CreatedAt: now, LastAccessed: now.Add(at), ExpiresAt: now.Add(time.Hour)}
	}
	batch := []qp.Session{
		state("a", 2, 2*time.Second, "a-newest"), state("a", 1, 3*time.Second, "a-fewer-messages"),
		state("b", 1, time.Second, "b-older"), state("b", 1, 2*time.Second, "b-newest"),
		state("c", 1, time.Second, "c-first"), state("c", 1, time.Second, "c-second"),
	}
	for i := range 300 { // more than one statement's worth
		batch = append(batch, state(fmt.Sprint("many-", i), 1, 0, "p"))
	}
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: batch}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"a": "a-newest", "b": "b-newest", "c": "c-second", "many-299": "p"} {
		if got, err := st.Session(ctx, id); err != nil || got.ParentID != want {
			t.Errorf("session %s: %+v %v, want parent %s", id, got, err, want)
		}
	}
	// And a state older than the stored one, written later, changes nothing.
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{state("a", 1, 9*time.Second, "a-stale")}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Session(ctx, "a"); got == nil || got.ParentID != "a-newest" {
		t.Errorf("a stale state replaced the stored one: %+v", got)
	}
}

func exchange(i int, session string) qp.Exchange {
	now := time.Now()
	return qp.Exchange{
		Request: qp.Request{RequestID: fmt.Sprintf("req-%d", i), SessionID: session, Timestamp: now, Method: "POST", Path: "/v1/chat/completions",
			Model: "qwen3-max", Stream: i%2 == 0, OpenAIRequest: []byte(`{"messages":[]}`), QwenRequest: []byte(`{}`)},
		Response: qp.Response{ResponseID: fmt.Sprintf("resp-%d", i), Timestamp: now.Add(time.Second), Status: qp.StatusSuccess, HTTPStatus: 200,
			FinishReason: "stop", PromptTokens: 3, CompletionTokens: 4, TotalTokens: 7, FirstTokenAt: now.Add(1500 * time.Microsecond),
			Duration: time.Second, UpstreamAttempts: 1, OpenAIResponse: []byte(`{"id":"x"}`)},
	}
}

func TestExchangesAndCascade(t *testing.T) { storetest.Each(t, testExchangesAndCascade) }

func testExchangesAndCascade(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	now := time.Now()
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{{ID: "s1", ChatID: "c", FirstUserMessage: "x", CreatedAt: now, LastAccessed: now, ExpiresAt: now}}}); err != nil {
		t.Fatal(err)
	}
	batch := []qp.Exchange{exchange(1, "s1"), exchange(2, "s1"), exchange(3, "")}
	if err := st.WriteExchanges(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// Writing a call again (a batch replayed from the spool) changes nothing.
	if err := st.WriteExchanges(ctx, []qp.Exchange{exchange(1, "s1")}); err != nil {
		t.Fatal(err)
	}
	var requests, responses, bodies int
	var ttft sql.NullFloat64
	row := st.DB().QueryRow(`SELECT (SELECT COUNT(*) FROM requests), (SELECT COUNT(*) FROM responses), (SELECT COUNT(*) FROM response_bodies),
		(SELECT ttft_ms FROM responses WHERE response_id = 'resp-1')`)
	if err := row.Scan(&requests, &responses, &bodies, &ttft); err != nil {
		t.Fatal(err)
	}
	if requests != 3 || responses != 3 || bodies != 3 || ttft.Float64 != 1.5 {
		t.Fatalf("%d requests %d responses %d bodies, ttft %v", requests, responses, bodies, ttft)
	}
	// Deleting a session removes its calls (cascade through a pooled
	// connection, where foreign keys must be on too).
	if _, err := st.DB().Exec(`DELETE FROM sessions WHERE id = 's1'`); err != nil {
		t.Fatal(err)
	}
	if err := st.DB().QueryRow(`SELECT (SELECT COUNT(*) FROM requests), (SELECT COUNT(*) FROM response_bodies)`).Scan(&requests, &bodies); err != nil {
		t.Fatal(err)
	}
	if requests != 1 || bodies != 1 {
		t.Fatalf("after cascade: %d requests, %d bodies", requests, bodies)
	}
}

func TestCallsOfAnUnknownSessionAreKeptWithoutIt(t *testing.T) {
	storetest.Each(t, testCallsOfAnUnknownSessionAreKeptWithoutIt)
}

func testCallsOfAnUnknownSessionAreKeptWithoutIt(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	if err := st.WriteExchanges(context.Background(), []qp.Exchange{exchange(1, "ghost")}); err != nil {
		t.Fatal(err)
	}
	rec, err := st.Request(context.Background(), "req-1")
	if err != nil || rec.SessionID != "" || rec.Response == nil || rec.Response.SessionID != "" {
		t.Fatalf("%+v %v", rec, err)
	}
}

// Two stores on one database (two proxy instances) migrating at once apply
// each migration once, and writing at once lose no call from the rollups.
func TestTwoStoresOnOneDatabase(t *testing.T) { storetest.Each(t, testTwoStoresOnOneDatabase) }

func testTwoStoresOnOneDatabase(t *testing.T, dbURL string) {
	ctx := context.Background()
	stores := make([]*sqlstore.Store, 2)
	applied := make([]int, 2)
	errs := make(chan error, 2)
	for i := range stores {
		st, err := store.Open(ctx, dbURL, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores[i] = st
	}
	for i, st := range stores {
		go func() {
			var err error
			applied[i], err = st.Migrate(ctx)
			errs <- err
		}()
	}
	for range stores {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	status, _ := stores[0].MigrationStatus(ctx)
	if applied[0]+applied[1] != len(status) {
		t.Fatalf("applied %d + %d migrations, want %d in all", applied[0], applied[1], len(status))
	}

	const perStore, batches = 50, 8
	for i, st := range stores {
		go func() {
			for b := range batches {
				var batch []qp.Exchange
				for j := range perStore {
					batch = append(batch, exchange(i*100_000+b*1000+j, ""))
				}
				if err := st.WriteExchanges(ctx, batch); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range stores {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	want := int64(len(stores) * perStore * batches)
	for _, st := range stores {
		s, err := st.Stats(ctx, qp.StatsQuery{})
		if err != nil || s.Totals.Requests != want || s.Totals.TotalTokens != 7*want {
			t.Fatalf("stats %+v (%v), want %d calls", s.Totals, err, want)
		}
	}
}

// A search matches its text literally: % and _ are not wildcards.
func TestSessionSearchIsLiteral(t *testing.T) { storetest.Each(t, testSessionSearchIsLiteral) }

func testSessionSearchIsLiteral(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	now := time.Now()
	var sessions []qp.Session
	for i, first := range []string{"Get 50% off today", "Get 50X off today", "snake_case names", "snakeXcase names", `back\slash`} {
		sessions = append(sessions, qp.Session{ID: fmt.Sprint("s", i), ChatID: "c", FirstUserMessage: first, CreatedAt: now, LastAccessed: now, ExpiresAt: now})
	}
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions}); err != nil {
		t.Fatal(err)
	}
	for search, want := range map[string]string{"50%": "Get 50% off today", "E_C": "snake_case names", `K\S`: `back\slash`, "GET 50X": "Get 50X off today"} {
		res, err := st.ListSessions(ctx, qp.SessionFilter{Search: search}, qp.ListOptions{Limit: 10})
		if err != nil || len(res.Items) != 1 || res.Items[0].FirstUserMessage != want {
			t.Errorf("search %q: %+v %v, want only %q", search, res, err, want)
		}
	}
}

func TestKeysAndCredentials(t *testing.T) { storetest.Each(t, testKeysAndCredentials) }

func testKeysAndCredentials(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	at := time.UnixMilli(time.Now().UnixMilli())
	k := qp.APIKey{ID: "k1", Name: "ci", Hash: "abc", Admin: true, CreatedAt: at}
	if err := st.AddAPIKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if err := st.AddAPIKey(ctx, qp.APIKey{ID: "k2", Hash: "abc", CreatedAt: at}); err == nil {
		t.Fatal("a second key with the same hash was stored")
	}
	if keys, err := st.APIKeys(ctx); err != nil || len(keys) != 1 || keys[0] != k {
		t.Fatalf("keys %+v %v", keys, err)
	}
	if err := st.DeleteAPIKey(ctx, "nope"); !errors.Is(err, qp.ErrNotFound) {
		t.Fatalf("delete unknown key: %v", err)
	}
	if err := st.DeleteAPIKey(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.QwenCredentials(ctx); !errors.Is(err, qp.ErrNotFound) {
		t.Fatalf("credentials before any: %v", err)
	}
	for _, token := range []string{"t1", "t2"} { // the second replaces the first
		if err := st.SetQwenCredentials(ctx, qp.QwenCredentials{Token: token, Cookies: "c", UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := st.QwenCredentials(ctx); err != nil || c.Token != "t2" || !c.UpdatedAt.Equal(at) {
		t.Fatalf("credentials %+v %v", c, err)
	}
	if err := st.ClearQwenCredentials(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Check(ctx); err != nil {
		t.Fatalf("health check: %v", err)
	}
}

// Deleting calls (a session, or everything before a time) takes them out of
// the statistics too.
func TestDeletesKeepStatisticsTrue(t *testing.T) { storetest.Each(t, testDeletesKeepStatisticsTrue) }

func testDeletesKeepStatisticsTrue(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	now := time.Now()
	old := now.Add(-72 * time.Hour)
	sessions := []qp.Session{{ID: "keep", ChatID: "c", FirstUserMessage: "x", CreatedAt: now, LastAccessed: now, ExpiresAt: now},
		{ID: "drop", ChatID: "c", FirstUserMessage: "y", CreatedAt: now, LastAccessed: now, ExpiresAt: now}}
	var calls []qp.Exchange
	for i := range 30 {
		ex := exchange(i, []string{"keep", "drop", ""}[i%3])
		if i%3 == 2 {
			ex.Request.Timestamp, ex.Response.Timestamp = old, old
		}
		calls = append(calls, ex)
	}
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions, Exchanges: calls}); err != nil {
		t.Fatal(err)
	}
	requests := func() int64 {
		s, err := st.Stats(ctx, qp.StatsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return s.Totals.Requests
	}
	if n := requests(); n != 30 {
		t.Fatalf("%d calls counted", n)
	}
	if err := st.DeleteSession(ctx, "drop"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteSession(ctx, "drop"); !errors.Is(err, qp.ErrNotFound) {
		t.Fatalf("deleting it again: %v", err)
	}
	if n := requests(); n != 20 {
		t.Fatalf("%d calls counted after deleting a session of 10", n)
	}
	// The caller is told the running total as each batch of 3 commits
	// (the history API bounds each batch from it).
	var committed []int
	deleted, err := st.DeleteRequestsBefore(ctx, now.Add(-24*time.Hour), 3, func(n int) { committed = append(committed, n) })
	if err != nil || deleted != 10 {
		t.Fatalf("deleted %d (%v), want the 10 old calls", deleted, err)
	}
	if fmt.Sprint(committed) != "[3 6 9 10]" {
		t.Fatalf("told of batches committed at %v, want [3 6 9 10]", committed)
	}
	if n := requests(); n != 10 {
		t.Fatalf("%d calls counted after retention, want 10", n)
	}
	if err := st.ReclaimSpace(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestIgnoredParamsAreRecordedAndRead(t *testing.T) {
	storetest.Each(t, testIgnoredParamsAreRecordedAndRead)
}

func testIgnoredParamsAreRecordedAndRead(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	with, without := exchange(1, ""), exchange(2, "")
	with.Request.IgnoredParams = []string{"temperature", "top_k"}
	if err := st.WriteExchanges(ctx, []qp.Exchange{with, without}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"req-1": "temperature,top_k", "req-2": ""} {
		rec, err := st.Request(ctx, id)
		if err != nil || rec == nil || strings.Join(rec.IgnoredParams, ",") != want {
			t.Fatalf("%s: %+v %v", id, rec, err)
		}
	}
}

// A list filtered by model counts what it lists: requests by the model the
// client asked for, responses by the model that answered (the total of
// requests came from rollups, kept by the model that answered: 0 for a
// mapped name such as claude-sonnet-4).
func TestListTotalsByModelCountWhatIsListed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		var calls []qp.Exchange
		for i, asked := range []string{"claude-sonnet-4", "claude-sonnet-4", "qwen3-max"} {
			_, c := oneTurn(fmt.Sprint("m", i), at.Add(time.Duration(i)*time.Second))
			c.Request.SessionID, c.Request.Model, c.Response.Model = "", asked, "qwen3-max"
			calls = append(calls, c)
		}
		if err := st.WriteExchanges(ctx, calls); err != nil {
			t.Fatal(err)
		}
		for model, want := range map[string]int{"claude-sonnet-4": 2, "qwen3-max": 1} {
			res, err := st.ListRequests(ctx, qp.CallFilter{Model: model}, qp.ListOptions{Limit: 10})
			if err != nil || res.Total != want || len(res.Items) != want {
				t.Errorf("requests of %s: %d listed, total %d (%v), want %d", model, len(res.Items), res.Total, err, want)
			}
		}
		res, err := st.ListResponses(ctx, qp.CallFilter{Model: "qwen3-max"}, qp.ListOptions{Limit: 10})
		if err != nil || res.Total != 3 || len(res.Items) != 3 {
			t.Errorf("responses of qwen3-max: %d listed, total %d (%v), want 3", len(res.Items), res.Total, err)
		}
	})
}

// A database migrated by a newer qwenproxy (this binary put back after an
// upgrade) is refused by Migrate, which serve and the commands that write
// run first, naming the migration it does not know; it was served as if
// nothing were amiss.
func TestANewerSchemaIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		if _, err := st.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_the_future', 0)`); err != nil {
			t.Fatal(err)
		}
		_, err := st.Migrate(ctx)
		if !errors.Is(err, sqlstore.ErrNewerSchema) || !strings.Contains(err.Error(), "9999 (9999_from_the_future)") {
			t.Fatalf("migrate a newer schema: %v", err)
		}
	})
}

// A database on which another build applied another migration under one of
// this binary's numbers is refused by Migrate, naming both: migrations were
// matched by number only, so this one took the other's step for its own and
// failed later in the schema's words ("duplicate column name"), or never.
func TestAMigrationAppliedUnderAnotherNameIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		if _, err := st.DB().ExecContext(ctx, `UPDATE schema_migrations SET name = '0019_session_chat_deletion' WHERE version = 19`); err != nil {
			t.Fatal(err)
		}
		status, err := st.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(status, func(m sqlstore.MigrationStatus) bool { return m.Version == 19 })
		if i < 0 || status[i].AppliedAs != "0019_session_chat_deletion" || status[i].Name != "0019_export_tickets" || status[i].Unknown {
			t.Fatalf("status of 19: %+v", status[i])
		}
		_, err = st.Migrate(ctx)
		if !errors.Is(err, sqlstore.ErrOtherBuildSchema) || !strings.Contains(err.Error(), "migration 19 is 0019_session_chat_deletion where this one's is 0019_export_tickets") {
			t.Fatalf("migrate: %v", err)
		}
	})
}
