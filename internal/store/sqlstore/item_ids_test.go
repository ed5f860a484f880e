package sqlstore_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// responsesCall is a Responses API call of key (in session) whose request
// body is body.
func responsesCall(id, session, key, body string, at time.Time) (qp.Session, qp.Exchange) {
	s, c := oneTurn(session, at)
	c.Request.RequestID, c.Response.ResponseID = "req-"+id, "resp-"+id
	c.Request.Path, c.Request.APIKeyID, c.Request.OpenAIRequest = "/v1/responses", key, []byte(body)
	c.Response.OpenAIResponse = []byte(`{"object":"response","output":[]}`)
	return s, c
}

// itemCall is the request id CallWithItem finds for key and item, "" for
// none.
func itemCall(t *testing.T, st *sqlstore.Store, key, item string) string {
	t.Helper()
	got, err := st.CallWithItem(context.Background(), key, item)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// writeItemCalls writes the calls the item id tests share: msg_a given by
// key-1 in two calls (the second newer) and by key-2 in one, msg_b by a
// call not stored (store false), msg_c only named by an item_reference,
// and the failed call's msg_d.
func writeItemCalls(t *testing.T, st *sqlstore.Store, at time.Time) {
	t.Helper()
	var sessions []qp.Session
	var calls []qp.Exchange
	for i, c := range []struct{ id, session, key, body string }{
		{"1", "s1", "key-1", `{"model":"m","input":[{"type":"message","id":"msg_a","role":"user","content":"one"},{"role":"user","content":"x"}]}`},
		{"2", "s1", "key-1", `{"model":"m","input":[{"type":"message","id":"msg_a","role":"user","content":"one"},{"type":"function_call","id":"fc_a","call_id":"c","name":"f","arguments":"{}"}]}`},
		{"3", "s2", "key-2", `{"model":"m","input":[{"id":"msg_a","role":"user","content":"other key"}]}`},
		{"4", "s2", "key-1", `{"model":"m","store":false,"input":[{"type":"message","id":"msg_b","role":"user","content":"unstored"}]}`},
		{"5", "s3", "key-1", `{"model":"m","input":[{"type":"item_reference","id":"msg_c"},{"id":"msg_c2"},{"role":"user","content":"x"}]}`},
		{"6", "s3", "key-1", `{"model":"m","input":[{"type":"message","id":"msg_d","role":"user","content":"failed"}]}`},
	} {
		s, e := responsesCall(c.id, c.session, c.key, c.body, at.Add(time.Duration(i)*time.Minute))
		if c.id == "6" {
			e.Response.Status, e.Response.HTTPStatus = qp.StatusError, 400
		}
		sessions, calls = append(sessions, s), append(calls, e)
	}
	if err := st.WriteBatch(context.Background(), qp.Batch{Sessions: sessions, Exchanges: calls}); err != nil {
		t.Fatal(err)
	}
}

// The ids a Responses call's request gave its own input items are indexed
// as it is written (migration 0041), under its key, one row per id naming
// the latest call that carried it: CallWithItem finds that call, not
// another key's, not a call that keeps no response (store false), nor one
// failed with an error status; an item_reference (typed or of only an id)
// is not the call's own item. Its rows go with its call — deleted session,
// retention by age and by size — and none is ever left naming a call that
// is gone; a deleted response object's are handed back to the call that
// carried the id before it (TestADeletedResponsesItemIDsGoBackOneCall), or
// go.
func TestItemIDsAreIndexedByKeyAndGoWithTheirCalls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		writeItemCalls(t, st, at)
		if got := itemCall(t, st, "key-1", "msg_a"); got != "req-2" {
			t.Fatalf("key-1's msg_a: %q, want req-2 (the latest of req-1, req-2)", got)
		}
		if got := itemCall(t, st, "key-2", "msg_a"); got != "req-3" {
			t.Fatalf("key-2's msg_a: %q, want req-3", got)
		}
		if got := itemCall(t, st, "key-1", "fc_a"); got != "req-2" {
			t.Fatalf("fc_a: %q", got)
		}
		for _, id := range []string{"msg_b", "msg_c", "msg_c2", "msg_d"} {
			if got := itemCall(t, st, "key-1", id); got != "" {
				t.Fatalf("%s is indexed: %q", id, got)
			}
		}
		if n := count(t, st, `SELECT COUNT(*) FROM response_item_ids`); n != 3 {
			t.Fatalf("%d rows indexed, want 3 (one per id of a key)", n)
		}
		// A replayed batch indexes nothing twice.
		writeItemCalls(t, st, at)
		if n := count(t, st, `SELECT COUNT(*) FROM response_item_ids`); n != 3 {
			t.Fatalf("%d rows after the batch was written again, want 3", n)
		}

		if err := st.DeleteResponseObject(ctx, "req-2", time.Now()); err != nil {
			t.Fatal(err)
		}
		if got := itemCall(t, st, "key-1", "msg_a"); got != "req-1" {
			t.Fatalf("after req-2's response was deleted: %q, want req-1 (which carried it before)", got)
		}
		if got := itemCall(t, st, "key-1", "fc_a"); got != "" {
			t.Fatalf("fc_a, carried by req-2 alone, after its response was deleted: %q", got)
		}
		if err := st.DeleteResponseObject(ctx, "req-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		if got := itemCall(t, st, "key-1", "msg_a"); got != "" {
			t.Fatalf("after req-1's response was deleted too: %q, want none", got)
		}
		if err := st.DeleteSession(ctx, "s2"); err != nil {
			t.Fatal(err)
		}
		if got := itemCall(t, st, "key-2", "msg_a"); got != "" {
			t.Fatalf("after its session was deleted: %q", got)
		}
		if _, err := st.DeleteRequestsBefore(ctx, at.Add(30*time.Second), 100, nil); err != nil {
			t.Fatal(err)
		}
		if n := count(t, st, `SELECT COUNT(*) FROM response_item_ids`); n != 0 {
			t.Fatalf("after retention by age: %d rows", n)
		}
		writeItemCalls(t, st, at.Add(time.Hour)) // req-1 is gone: written again
		if n := count(t, st, `SELECT COUNT(*) FROM response_item_ids`); n == 0 {
			t.Fatal("nothing indexed")
		}
		if _, err := st.DeleteOldestOver(ctx, 1, 100); err != nil {
			t.Fatal(err)
		}
		if n := count(t, st, `SELECT COUNT(*) FROM response_item_ids i WHERE NOT EXISTS (SELECT 1 FROM requests q WHERE q.id = i.request_id)`); n != 0 {
			t.Fatalf("%d index rows name calls that are gone", n)
		}
		if n, m := count(t, st, `SELECT COUNT(*) FROM requests`), count(t, st, `SELECT COUNT(*) FROM response_item_ids`); n == 0 && m != 0 {
			t.Fatalf("retention by size left %d index rows", m)
		}
	})
}

// A client that resends its whole history, with its items' ids, every turn
// grows the index by its new ids, not by every id of every call: one row
// per id of a key, naming the latest call that carried it, whatever the
// order the calls' batches commit in.
func TestTheItemIndexGrowsWithNewIDsOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		const turns = 30
		var items []string
		var sessions []qp.Session
		var calls []qp.Exchange
		for i := range turns {
			items = append(items, `{"type":"message","id":"msg_`+strconv.Itoa(i)+`","role":"user","content":"turn"}`)
			s, c := responsesCall(strconv.Itoa(i), "s1", "key-1", `{"model":"m","input":[`+strings.Join(items, ",")+`]}`, at.Add(time.Duration(i)*time.Second))
			sessions, calls = append(sessions, s), append(calls, c)
		}
		// The first half one call a batch, the rest in one batch (ids
		// carried by several of its calls).
		for i := range turns / 2 {
			if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions[i : i+1], Exchanges: calls[i : i+1]}); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions[turns/2:], Exchanges: calls[turns/2:]}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, st, `SELECT COUNT(*) FROM response_item_ids`); n != turns {
			t.Fatalf("%d rows for %d calls resending %d ids, want %d (not %d)", n, turns, turns, turns, turns*(turns+1)/2)
		}
		for _, id := range []string{"msg_0", "msg_7", "msg_29"} {
			if got := itemCall(t, st, "key-1", id); got != "req-"+strconv.Itoa(turns-1) {
				t.Fatalf("%s names %q, want the latest call, req-%d", id, got, turns-1)
			}
		}
		// An older call's row does not take the id back: the batch of the
		// first calls written again (a replay) changes nothing.
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions[:1], Exchanges: calls[:1]}); err != nil {
			t.Fatal(err)
		}
		if got := itemCall(t, st, "key-1", "msg_0"); got != "req-"+strconv.Itoa(turns-1) {
			t.Fatalf("msg_0 after a replay names %q", got)
		}
	})
}

// An item id's call is read from one lookup of the index, whatever the
// size of the history: its primary key (key, item id), the call joined by
// its row id.
func TestAnItemIDsCallIsOneLookupOfTheIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		writeItemCalls(t, st, time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli()))
		if st.Backend() == "postgres" {
			if _, err := st.DB().ExecContext(ctx, `ANALYZE response_item_ids`); err != nil {
				t.Fatal(err)
			}
		}
		plan := explain(ctx, t, st.DB(), st.Backend(), inline(st.Backend(), sqlstore.ItemCallQuery, []any{"key-1", "msg_a"}))
		switch st.Backend() {
		case "sqlite":
			if !strings.Contains(plan, "SEARCH i USING PRIMARY KEY (api_key_id=? AND item_id=?)") || strings.Contains(plan, "SCAN") ||
				strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(plan, "SEARCH q USING INTEGER PRIMARY KEY") {
				t.Fatalf("want one lookup of the index, the call by row id:\n%s", plan)
			}
		default:
			if !strings.Contains(plan, "response_item_ids_pkey") || strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "Sort") {
				t.Fatalf("want one lookup of the index:\n%s", plan)
			}
		}
	})
}

// A database recorded before migration 0041 finds the ids its calls gave
// their items once migrated: the calls recorded before it are indexed in
// the background (IndexItemIDs; until then ItemIDsIndexed says so), those
// of a deleted response object excepted; an interrupted run resumes. An id
// a call recorded after the migration carried keeps naming that call: the
// backfill's older calls never take its row.
func TestMigration0041IndexesTheItemIDsOfEarlierCalls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		writeItemCalls(t, st, at)
		if err := st.DeleteResponseObject(ctx, "req-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		// The database as it was before the migration (and the later ones,
		// which run again after it: 0043 adds to its table, 0047, 0048 and 0050 to the sessions', 0049 to the requests').
		for _, stmt := range []string{`DROP TABLE response_item_ids`, `DROP TABLE response_item_ids_backfill`, `DROP TABLE response_referenced_items`,
			`DROP TABLE conversation_item_ids`, `DROP TABLE conversation_item_ids_backfill`, `DROP INDEX sessions_branched_from`,
			`ALTER TABLE sessions DROP COLUMN branched_from`,
			`ALTER TABLE sessions DROP COLUMN prior_parent_id`, `ALTER TABLE sessions DROP COLUMN prior_request_id`,
			`ALTER TABLE sessions DROP COLUMN prior_call_ids`, `ALTER TABLE sessions DROP COLUMN prior_call_names`,
			`ALTER TABLE sessions DROP COLUMN prior_told_system_hash`, `ALTER TABLE sessions DROP COLUMN prior_told_tools_hash`,
			`ALTER TABLE requests DROP COLUMN replaces`, `DROP INDEX idx_sessions_cut_conversation_hash`,
			`ALTER TABLE sessions DROP COLUMN cut_conversation_hash`, `ALTER TABLE sessions DROP COLUMN cut_state`,
			`DROP INDEX idx_sessions_prior_conversation_hash`, `ALTER TABLE sessions DROP COLUMN prior_conversation_hash`,
			`DROP INDEX idx_requests_client_session`, `ALTER TABLE requests DROP COLUMN client_session_id`,
			`ALTER TABLE sessions DROP COLUMN client_session_id`,
			`DELETE FROM schema_migrations WHERE version >= 41`} {
			if _, err := st.DB().ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if n, err := st.Migrate(ctx); err != nil || n != len(migrationsFrom(t, st, 41)) {
			t.Fatalf("migrated %d, %v; want migrations 0041 on applied", n, err)
		}
		st = storetest.Open(t, dbURL) // a start after the upgrade
		if done, err := st.ItemIDsIndexed(ctx); err != nil || done {
			t.Fatalf("indexed before the backfill: %v, %v", done, err)
		}
		if got := itemCall(t, st, "key-1", "msg_a"); got != "" {
			t.Fatalf("found before the backfill: %q", got)
		}
		// A call recorded after the migration is indexed as it is written.
		s, c := responsesCall("7", "s7", "key-1", `{"model":"m","input":[{"type":"message","id":"msg_new","role":"user","content":"x"},{"type":"message","id":"fc_a","role":"user","content":"again"}]}`, at.Add(time.Hour))
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}, Exchanges: []qp.Exchange{c}}); err != nil {
			t.Fatal(err)
		}
		// One batch of a call, then stopped: the next run goes on.
		stop, cancel := context.WithCancel(ctx)
		runs := 0
		_, err := st.IndexItemIDs(stop, 1, func(sqlstore.ItemIDProgress) {
			if runs++; runs == 2 {
				cancel()
			}
		})
		if err == nil {
			t.Fatal("the backfill was not stopped")
		}
		p, err := st.IndexItemIDs(ctx, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.Done != p.Total {
			t.Fatalf("progress %+v", p)
		}
		if done, err := st.ItemIDsIndexed(ctx); err != nil || !done {
			t.Fatalf("not indexed after the backfill: %v, %v", done, err)
		}
		if got := itemCall(t, st, "key-1", "msg_a"); got != "req-2" {
			t.Fatalf("key-1's msg_a after the backfill: %q, want req-2 (req-1's response deleted)", got)
		}
		if got := itemCall(t, st, "key-2", "msg_a"); got != "req-3" {
			t.Fatalf("key-2's msg_a after the backfill: %q", got)
		}
		if got := itemCall(t, st, "key-1", "msg_new"); got != "req-7" {
			t.Fatalf("msg_new: %q", got)
		}
		if got := itemCall(t, st, "key-1", "fc_a"); got != "req-7" {
			t.Fatalf("fc_a, carried by req-2 before the migration and req-7 after: %q, want req-7", got)
		}
		if n := count(t, st, `SELECT COUNT(*) FROM response_item_ids`); n != 4 {
			t.Fatalf("%d rows indexed, want 4", n)
		}
	})
}

// A copy carries the item ids (written with the calls) but a deleted
// response object's: the copy's index is the source's.
func TestACopyCarriesTheItemIDs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		src, dst := storetest.Open(t, storetest.URL(t, "sqlite")), storetest.Open(t, dbURL)
		writeItemCalls(t, src, time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli()))
		if err := src.DeleteResponseObject(ctx, "req-2", time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := sqlstore.Copy(ctx, src, dst, func(sqlstore.CopyProgress) {}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ key, id string }{{"key-1", "msg_a"}, {"key-1", "fc_a"}, {"key-2", "msg_a"}} {
			if got, want := itemCall(t, dst, c.key, c.id), itemCall(t, src, c.key, c.id); got != want {
				t.Fatalf("%s's %s in the copy: %q, in the source %q", c.key, c.id, got, want)
			}
		}
		if got := itemCall(t, dst, "key-2", "msg_a"); got != "req-3" {
			t.Fatalf("key-2's msg_a in the copy: %q", got)
		}
	})
}

// The items a Responses call's references named are kept beside its request
// body (response_referenced_items, migration 0041): Request reads them, the
// body stays what the client sent, lists and exports carry neither; a copy
// carries them; they go with their call.
func TestReferencedItemsAreKeptBesideTheBody(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		src, dst := storetest.Open(t, storetest.URL(t, "sqlite")), storetest.Open(t, dbURL)
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		body := `{"model":"m","input":[{"type":"item_reference","id":"msg_a"},{"role":"user","content":"x"}]}`
		kept := `{"msg_a":{"id":"msg_a","type":"message","role":"user","content":[{"type":"input_text","text":"` + strings.Repeat("vermilion ", 50) + `"}]}}`
		s, c := responsesCall("1", "s1", "key-1", body, at)
		c.Request.ReferencedItems = []byte(kept)
		s2, c2 := responsesCall("2", "s2", "key-1", `{"model":"m","input":"plain"}`, at.Add(time.Minute))
		if err := src.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s, s2}, Exchanges: []qp.Exchange{c, c2}}); err != nil {
			t.Fatal(err)
		}
		if _, err := sqlstore.Copy(ctx, src, dst, func(sqlstore.CopyProgress) {}); err != nil {
			t.Fatal(err)
		}
		for name, st := range map[string]*sqlstore.Store{"source": src, "copy": dst} {
			rec, err := st.Request(ctx, "req-1")
			if err != nil {
				t.Fatal(err)
			}
			if string(rec.OpenAIRequest) != body || string(rec.ReferencedItems) != kept {
				t.Fatalf("%s: body %s, kept %s", name, rec.OpenAIRequest, rec.ReferencedItems)
			}
			if rec, err := st.Request(ctx, "req-2"); err != nil || rec.ReferencedItems != nil {
				t.Fatalf("%s: a call without references has kept items: %s (%v)", name, rec.ReferencedItems, err)
			}
			page, err := st.ListRequests(ctx, qp.CallFilter{}, qp.ListOptions{Limit: 10, Bodies: true, NoTotal: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Items {
				if strings.Contains(string(r.OpenAIRequest), "vermilion") || r.ReferencedItems != nil {
					t.Fatalf("%s: a list carries the kept items: %s %s", name, r.OpenAIRequest, r.ReferencedItems)
				}
			}
		}
		if n := count(t, dst, `SELECT COUNT(*) FROM response_referenced_items`); n != 1 {
			t.Fatalf("%d kept rows in the copy, want 1", n)
		}
		// Copied again, nothing twice.
		if _, err := sqlstore.Copy(ctx, src, dst, func(sqlstore.CopyProgress) {}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, dst, `SELECT COUNT(*) FROM response_referenced_items`); n != 1 {
			t.Fatalf("%d kept rows after a second copy, want 1", n)
		}
		if err := dst.DeleteSession(ctx, "s1"); err != nil {
			t.Fatal(err)
		}
		if n := count(t, dst, `SELECT COUNT(*) FROM response_referenced_items`); n != 0 {
			t.Fatalf("%d kept rows after their call's session was deleted", n)
		}
	})
}

// Deleting the response object of the latest call that carried an id
// (DELETE /v1/responses/{id}) hands the id's row back to the call that
// carried it before (migration 0043's previous_request_id), whether that
// call was written in an earlier batch or the same one, when it is still
// there and its response is not deleted; one step only (the row keeps one
// call before its own), so an id deleted twice over names nothing, as
// until 2026-12-06 it did after the first delete. The ids are still one
// row each.
func TestADeletedResponsesItemIDsGoBackOneCall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		write := func(id, session, body string, n int) {
			t.Helper()
			s, c := responsesCall(id, session, "key-1", body, at.Add(time.Duration(n)*time.Minute))
			if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}, Exchanges: []qp.Exchange{c}}); err != nil {
				t.Fatal(err)
			}
		}
		del := func(id string) {
			t.Helper()
			if err := st.DeleteResponseObject(ctx, id, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		h := `{"model":"m","input":[{"type":"message","id":"msg_h","role":"user","content":"h"},{"type":"message","id":"msg_j","role":"user","content":"j"}]}`
		write("1", "s1", h, 0)
		write("2", "s1", h, 1)
		write("3", "s2", h, 2)
		if n := count(t, st, `SELECT COUNT(*) FROM response_item_ids`); n != 2 {
			t.Fatalf("%d rows, want 2 (one per id)", n)
		}
		del("req-3")
		if got := itemCall(t, st, "key-1", "msg_h"); got != "req-2" {
			t.Fatalf("after req-3's response was deleted: %q, want req-2", got)
		}
		del("req-2")
		if got := itemCall(t, st, "key-1", "msg_h"); got != "" {
			t.Fatalf("after req-2's response was deleted too: %q, want none (one step back)", got)
		}

		// A previous carrier whose response was deleted, or whose call is
		// gone, takes nothing back.
		write("4", "s3", `{"model":"m","input":[{"type":"message","id":"msg_k","role":"user","content":"k"}]}`, 3)
		write("5", "s4", `{"model":"m","input":[{"type":"message","id":"msg_k","role":"user","content":"k"},{"type":"message","id":"msg_l","role":"user","content":"l"}]}`, 4)
		write("6", "s5", `{"model":"m","input":[{"type":"message","id":"msg_k","role":"user","content":"k"},{"type":"message","id":"msg_l","role":"user","content":"l"}]}`, 5)
		del("req-5")
		if got := itemCall(t, st, "key-1", "msg_k"); got != "req-6" {
			t.Fatalf("msg_k after an older carrier's response was deleted: %q, want req-6", got)
		}
		if err := st.DeleteSession(ctx, "s4"); err != nil {
			t.Fatal(err)
		}
		del("req-6")
		if got := itemCall(t, st, "key-1", "msg_k"); got != "" {
			t.Fatalf("msg_k after req-6's response was deleted, req-5's too: %q, want none", got)
		}
		if got := itemCall(t, st, "key-1", "msg_l"); got != "" {
			t.Fatalf("msg_l after req-6's response was deleted, req-5's call gone: %q, want none", got)
		}

		// Carriers written in one batch: the one before the newest is known.
		var sessions []qp.Session
		var calls []qp.Exchange
		for i, id := range []string{"7", "8", "9"} {
			s, c := responsesCall(id, "s6", "key-1", `{"model":"m","input":[{"type":"message","id":"msg_m","role":"user","content":"m"}]}`, at.Add(time.Duration(6+i)*time.Minute))
			sessions, calls = append(sessions, s), append(calls, c)
		}
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions, Exchanges: calls}); err != nil {
			t.Fatal(err)
		}
		del("req-9")
		if got := itemCall(t, st, "key-1", "msg_m"); got != "req-8" {
			t.Fatalf("msg_m after req-9's response was deleted: %q, want req-8 (written in its batch)", got)
		}
	})
}
