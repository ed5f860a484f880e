package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// clientSessionIDs are the request ids a list under a client's session
// finds, in the list's order.
func clientSessionIDs(t *testing.T, st *sqlstore.Store, id string) (requests, responses []string) {
	t.Helper()
	ctx := context.Background()
	f := qp.CallFilter{ClientSessionID: id}
	rq, err := st.ListRequests(ctx, f, qp.ListOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rq.Items {
		requests = append(requests, r.RequestID+"="+r.ClientSessionID)
	}
	if rq.Total != len(rq.Items) {
		t.Errorf("client session %q: total %d of %d requests", id, rq.Total, len(rq.Items))
	}
	rs, err := st.ListResponses(ctx, f, qp.ListOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.Items {
		responses = append(responses, r.RequestUUID)
	}
	if rs.Total != len(rs.Items) {
		t.Errorf("client session %q: total %d of %d responses", id, rs.Total, len(rs.Items))
	}
	return requests, responses
}

// Migration 0049 adds the client's conversation id to a populated history:
// the calls recorded before it have none (and are listed as before), a call
// recorded after it keeps its id, which the request and response lists
// filter by, and a copy to another database carries it.
func TestMigration0049RecordsTheClientsSessionOfLaterCalls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		s1, c1 := oneTurn("before", at)
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s1}, Exchanges: []qp.Exchange{c1}}); err != nil {
			t.Fatal(err)
		}
		// The database as it was before the migration.
		for _, stmt := range []string{`DROP INDEX idx_requests_client_session`, `ALTER TABLE requests DROP COLUMN client_session_id`,
			`ALTER TABLE sessions DROP COLUMN client_session_id`, `DELETE FROM schema_migrations WHERE version >= 49`} {
			if _, err := st.DB().ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if n, err := st.Migrate(ctx); err != nil || n != 2 {
			t.Fatalf("migrated %d, %v; want migrations 0049 and 0050 applied", n, err)
		}
		st = storetest.Open(t, dbURL) // a start after the upgrade
		old, err := st.Request(ctx, "req-before")
		if err != nil || old.ClientSessionID != "" || old.Response == nil {
			t.Fatalf("the call recorded before the migration: %+v, %v", old, err)
		}
		var calls []qp.Exchange
		var sessions []qp.Session
		for i, c := range []struct{ id, client string }{{"a1", "ses_agent"}, {"a2", "ses_agent"}, {"b", "c253dc9b-5991-4b17-9cba-0129827917e3"}, {"none", ""}} {
			s, e := oneTurn(c.id, at.Add(time.Duration(i+1)*time.Minute))
			e.Request.ClientSessionID = c.client
			sessions, calls = append(sessions, s), append(calls, e)
		}
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions, Exchanges: calls}); err != nil {
			t.Fatal(err)
		}
		rq, rs := clientSessionIDs(t, st, "ses_agent")
		if strings.Join(rq, " ") != "req-a2=ses_agent req-a1=ses_agent" || strings.Join(rs, " ") != "req-a2 req-a1" {
			t.Fatalf("under ses_agent: requests %v, responses %v", rq, rs)
		}
		if rq, rs := clientSessionIDs(t, st, "nope"); len(rq) != 0 || len(rs) != 0 {
			t.Fatalf("under an id no call has: %v, %v", rq, rs)
		}
		if n := count(t, st, `SELECT COUNT(*) FROM requests WHERE client_session_id IS NULL`); n != 2 {
			t.Fatalf("%d calls without a client session, want 2 (before the migration, and none sent)", n)
		}
		// Copied to another database, the calls keep their ids.
		dst := storetest.Open(t, storetest.URL(t, "sqlite"))
		if _, err := sqlstore.Copy(ctx, st, dst, func(sqlstore.CopyProgress) {}); err != nil {
			t.Fatal(err)
		}
		if rq, _ := clientSessionIDs(t, dst, "c253dc9b-5991-4b17-9cba-0129827917e3"); strings.Join(rq, " ") != "req-b=c253dc9b-5991-4b17-9cba-0129827917e3" {
			t.Fatalf("copied: %v", rq)
		}
	})
}

// The lists under a client's session read the requests' index of the
// calls that have one (migration 0049), not the table.
func TestAClientSessionsListsReadItsIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		f := qp.CallFilter{ClientSessionID: "ses_agent"}
		for name, page := range map[string]func(context.Context, *sqlstore.Store, qp.CallFilter, qp.ListOptions) (string, []any, error){
			"requests": sqlstore.RequestPageQuery, "responses": sqlstore.ResponsePageQuery} {
			query, args, err := page(ctx, st, f, qp.ListOptions{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			var plan string
			if st.Backend() == "postgres" {
				plan = explainNoScan(ctx, t, st, inline(st.Backend(), query, args))
			} else {
				plan = explain(ctx, t, st.DB(), st.Backend(), inline(st.Backend(), query, args))
			}
			if !strings.Contains(plan, "idx_requests_client_session") {
				t.Errorf("%s: want the client session index\n%s\nis planned as\n%s", name, query, plan)
			}
		}
	})
}

// A client session's statistics read its calls through the requests' index
// of the calls that have one (migration 0049), under a model, an account,
// a key or a range too: the responses of those requests by their request
// id, not every response of the range, the model or the key (on SQLite a
// model's or an account's index was taken, the session's calls a filter of
// all of theirs).
func TestAClientSessionsStatsReadItsIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		day := qp.TimeRange{Start: time.Now().Add(-24 * time.Hour), End: time.Now()}
		for _, q := range []qp.StatsQuery{
			{ClientSessionID: "ses_agent"},
			{ClientSessionID: "ses_agent", Model: "qwen3-max", Range: day},
			{ClientSessionID: "ses_agent", Account: "a@example.com", Bucket: "hour"},
			{ClientSessionID: "ses_agent", APIKeyID: "key-1", Range: day},
			{ClientSessionID: "ses_agent", SessionID: "s-1"},
		} {
			for name, build := range map[string]func(*sqlstore.Store, qp.StatsQuery) (string, []any){
				"calls": sqlstore.StatsRowsQuery, "error types": sqlstore.ErrorTypeCountQuery} {
				query, args := build(st, q)
				var plan string
				if st.Backend() == "postgres" {
					plan = explainNoScan(ctx, t, st, inline(st.Backend(), query, args))
				} else {
					plan = explain(ctx, t, st.DB(), st.Backend(), inline(st.Backend(), query, args))
				}
				// On SQLite, which plans without statistics, no index of
				// a model's, an account's, a key's or a range's calls
				// either (which read every one of them to keep the
				// session's few).
				if !strings.Contains(plan, "idx_requests_client_session") || st.Backend() == "sqlite" &&
					containsAny(plan, []string{"idx_responses_model", "idx_responses_account", "idx_responses_api_key", "idx_responses_timestamp", "idx_responses_error_type"}) {
					t.Errorf("%+v, %s: want the client session index\n%s\nis planned as\n%s", q, name, query, plan)
				}
			}
		}
	})
}
