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

const simUpstream = "http://127.0.0.1:41305"

// An account's state, token and sign-in claim are kept per upstream: what
// one upstream's instances write is neither read by nor written over by
// another's, so serving the database against the other and back finds
// each as it was. New credentials (PutAccount) start afresh everywhere.
func TestAccountStateIsKeptPerUpstream(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		now := time.UnixMilli(time.Now().UnixMilli())
		if err := st.PutAccount(ctx, qp.AccountRecord{ID: "a@x.io", Source: qp.AccountStored, PasswordSealed: "pw", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		limited := qp.AccountState{State: "rate_limited", FailureClass: "rate_limited", CooldownUntil: now.Add(3 * time.Hour), StateAt: now}
		if err := st.SaveAccountState(ctx, "a@x.io", simUpstream, limited); err != nil {
			t.Fatal(err)
		}
		at := func(upstream string) qp.AccountRecord {
			t.Helper()
			all, err := st.Accounts(ctx, upstream)
			if err != nil || len(all) != 1 {
				t.Fatalf("accounts at %q: %+v %v", upstream, all, err)
			}
			return all[0]
		}
		if a := at(""); a.State != "ready" || !a.CooldownUntil.IsZero() || !a.StateAt.IsZero() {
			t.Fatalf("chat.qwen.ai has the simulator's rest: %+v", a.AccountState)
		}
		if a := at(simUpstream + "/"); a.State != "rate_limited" || !a.CooldownUntil.Equal(limited.CooldownUntil) {
			t.Fatalf("the simulator's state: %+v", a.AccountState)
		}
		// chat.qwen.ai's own, older state is written beside it, not refused
		// as older than the simulator's.
		brief := qp.AccountState{State: "cooling_down", FailureClass: "server", CooldownUntil: now.Add(time.Minute), StateAt: now.Add(-time.Second)}
		if err := st.SaveAccountState(ctx, "a@x.io", qp.DefaultUpstream, brief); err != nil {
			t.Fatal(err)
		}
		if a, s := at(""), at(simUpstream); a.State != "cooling_down" || s.State != "rate_limited" {
			t.Fatalf("chat.qwen.ai %+v, the simulator %+v", a.AccountState, s.AccountState)
		}

		// A claim and a token at one upstream hold nothing up at another.
		if ok, err := st.ClaimSignIn(ctx, "a@x.io", simUpstream, now, now.Add(30*time.Second), time.Time{}); err != nil || !ok {
			t.Fatalf("the simulator's claim: %v %v", ok, err)
		}
		if ok, err := st.ClaimSignIn(ctx, "a@x.io", "", now, now.Add(30*time.Second), time.Time{}); err != nil || !ok {
			t.Fatalf("chat.qwen.ai's claim while the simulator's holds: %v %v", ok, err)
		}
		if err := st.SaveAccountToken(ctx, "a@x.io", simUpstream, "sim-token", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveAccountToken(ctx, "a@x.io", "", "qwen-token", now.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if a, s := at(""), at(simUpstream); a.CookiesSealed != "qwen-token" || s.CookiesSealed != "sim-token" || !s.TokenExpiresAt.Equal(now.Add(time.Hour)) {
			t.Fatalf("tokens: chat.qwen.ai %q, the simulator %q (%v)", a.CookiesSealed, s.CookiesSealed, s.TokenExpiresAt)
		}
		if ok, _ := st.ClaimSignIn(ctx, "a@x.io", simUpstream, now, now.Add(30*time.Second), now); ok {
			t.Fatal("a claim at the simulator although its fresher token is stored")
		}
		if n, err := st.ResealAccounts(ctx, func(id, sealed string) (string, error) { return sealed + "+", nil }); err != nil || n != 1 {
			t.Fatalf("resealed %d: %v", n, err)
		}
		if a, s := at(""), at(simUpstream); a.PasswordSealed != "pw+" || a.CookiesSealed != "qwen-token+" || s.CookiesSealed != "sim-token+" {
			t.Fatalf("after reseal: chat.qwen.ai %+v, the simulator %+v", a, s)
		}

		// A new password starts afresh at every upstream.
		if err := st.PutAccount(ctx, qp.AccountRecord{ID: "a@x.io", Source: qp.AccountStored, PasswordSealed: "pw2", CreatedAt: now, UpdatedAt: now.Add(time.Second)}); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"", simUpstream} {
			if a := at(u); a.State != "ready" || a.CookiesSealed != "" || !a.TokenExpiresAt.IsZero() {
				t.Fatalf("after a new password, at %q: %+v", u, a)
			}
		}
	})
}

// A sign-in drops the account's rows of other upstreams that hold nothing
// any longer and have not changed for a day (each serve --mock-upstream
// has a simulator at an address of its own), and keeps a refusal, a rest
// still running and a token that has not expired.
func TestSpentStatesOfOtherUpstreamsAreDropped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		now := time.UnixMilli(time.Now().UnixMilli())
		if err := st.EnsureAccount(ctx, "a@x.io", qp.AccountEnvironment, now); err != nil {
			t.Fatal(err)
		}
		old := now.Add(-48 * time.Hour)
		states := map[string]qp.AccountState{
			"http://127.0.0.1:1": {State: "cooling_down", FailureClass: "server", CooldownUntil: old.Add(time.Minute), StateAt: old}, // spent
			"http://127.0.0.1:2": {State: "auth_failed", FailureClass: "auth", FailedCredential: "fp", StateAt: old},                 // refused: kept
			"http://127.0.0.1:3": {State: "rate_limited", FailureClass: "rate_limited", CooldownUntil: now.Add(time.Hour), StateAt: old},
			"http://127.0.0.1:4": {State: "cooling_down", FailureClass: "server", CooldownUntil: now.Add(-time.Hour), StateAt: now.Add(-2 * time.Hour)}, // spent, but recent
		}
		for u, s := range states {
			if err := st.SaveAccountState(ctx, "a@x.io", u, s); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.SaveAccountToken(ctx, "a@x.io", "http://127.0.0.1:5", "tok", now.Add(time.Hour)); err != nil { // a token in force: kept
			t.Fatal(err)
		}
		if err := st.SaveAccountToken(ctx, "a@x.io", "", "qwen", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		for u, want := range map[string]string{"http://127.0.0.1:1": "ready", "http://127.0.0.1:2": "auth_failed", "http://127.0.0.1:3": "rate_limited", "http://127.0.0.1:4": "cooling_down"} {
			all, err := st.Accounts(ctx, u)
			if err != nil || len(all) != 1 || all[0].State != want {
				t.Fatalf("at %s: %+v %v, want %s", u, all, err, want)
			}
		}
		if all, _ := st.Accounts(ctx, "http://127.0.0.1:5"); all[0].CookiesSealed != "tok" {
			t.Fatalf("a token in force was dropped: %+v", all[0])
		}
	})
}

// Migration 0028 keeps the state and token the accounts had before it as
// chat.qwen.ai's (QWEN_BASE_URL's default): no upstream was recorded, and
// a rest or refusal found there must stay in force there.
func TestAccountUpstreamMigration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		now := time.UnixMilli(time.Now().UnixMilli())
		for _, id := range []string{"a@x.io", "b@x.io"} {
			if err := st.EnsureAccount(ctx, id, qp.AccountEnvironment, now); err != nil {
				t.Fatal(err)
			}
		}
		big := "BIGINT"
		if st.Backend() == "sqlite" {
			big = "INTEGER"
		}
		// The schema before 0028: the state on the account's row (and
		// none of the later migrations, which run again: 0030 makes
		// SQLite's row_id_floors, 0031 the sessions' last_call_names, 0035
		// the conversations' items_kept, 0039 the requests' error_type, 0040 the
		// sessions' last_request_id, 0042 their branched_from, 0043 the item ids' previous_request_id,
		// 0044 the sessions' prior_* columns, 0046 the requests' replaces, 0047 the
		// sessions' cut_* columns, 0048 their prior_conversation_hash, 0049 the
		// requests' client_session_id, 0050 the sessions').
		qs := []string{"DROP TABLE qwen_account_states", "DROP TABLE IF EXISTS row_id_floors", "ALTER TABLE sessions DROP COLUMN last_call_names", "ALTER TABLE sessions DROP COLUMN last_request_id",
			"DROP INDEX sessions_branched_from", "ALTER TABLE sessions DROP COLUMN branched_from",
			"ALTER TABLE sessions DROP COLUMN prior_parent_id", "ALTER TABLE sessions DROP COLUMN prior_request_id",
			"ALTER TABLE sessions DROP COLUMN prior_call_ids", "ALTER TABLE sessions DROP COLUMN prior_call_names",
			"ALTER TABLE sessions DROP COLUMN prior_told_system_hash", "ALTER TABLE sessions DROP COLUMN prior_told_tools_hash",
			"ALTER TABLE conversations DROP COLUMN items_kept", "DROP INDEX idx_requests_error_type", "ALTER TABLE requests DROP COLUMN error_type",
			"ALTER TABLE response_item_ids DROP COLUMN previous_request_id", "ALTER TABLE requests DROP COLUMN replaces",
			"DROP INDEX idx_sessions_cut_conversation_hash", "ALTER TABLE sessions DROP COLUMN cut_conversation_hash", "ALTER TABLE sessions DROP COLUMN cut_state",
			"DROP INDEX idx_sessions_prior_conversation_hash", "ALTER TABLE sessions DROP COLUMN prior_conversation_hash",
			"DROP INDEX idx_requests_client_session", "ALTER TABLE requests DROP COLUMN client_session_id",
			"ALTER TABLE sessions DROP COLUMN client_session_id",
			"DELETE FROM schema_migrations WHERE version >= 28"}
		for _, c := range []string{"cookies_sealed TEXT", "token_expires_at " + big + " NOT NULL DEFAULT 0", "state TEXT NOT NULL DEFAULT 'ready'",
			"failure_class TEXT NOT NULL DEFAULT ''", "cooldown_until " + big + " NOT NULL DEFAULT 0", "failed_credential TEXT NOT NULL DEFAULT ''",
			"state_at " + big + " NOT NULL DEFAULT 0", "signin_until " + big + " NOT NULL DEFAULT 0"} {
			qs = append(qs, "ALTER TABLE qwen_accounts ADD COLUMN "+c)
		}
		for _, q := range qs {
			if _, err := st.DB().ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		until := now.Add(3 * time.Hour)
		if _, err := st.DB().ExecContext(ctx, fmt.Sprintf(`UPDATE qwen_accounts SET state = 'rate_limited', failure_class = 'rate_limited', cooldown_until = %d,
			state_at = %d, cookies_sealed = 'tok', token_expires_at = %d WHERE id = 'a@x.io'`, until.UnixMilli(), now.UnixMilli(), until.UnixMilli())); err != nil {
			t.Fatal(err)
		}
		if n, err := st.Migrate(ctx); err != nil || n != len(migrationsFrom(t, st, 28)) {
			t.Fatalf("migrate: %d %v", n, err)
		}
		all, err := st.Accounts(ctx, qp.DefaultUpstream)
		if err != nil || len(all) != 2 {
			t.Fatalf("%+v %v", all, err)
		}
		if a := all[0]; a.State != "rate_limited" || !a.CooldownUntil.Equal(until) || !a.StateAt.Equal(now) || a.CookiesSealed != "tok" || !a.TokenExpiresAt.Equal(until) || a.ForbiddenRun != 0 {
			t.Fatalf("a at chat.qwen.ai after the migration: %+v", a)
		}
		if b := all[1]; b.State != "ready" || b.CookiesSealed != "" {
			t.Fatalf("b at chat.qwen.ai after the migration: %+v", b)
		}
		if sim, _ := st.Accounts(ctx, simUpstream); sim[0].State != "ready" || sim[0].CookiesSealed != "" {
			t.Fatalf("a at another upstream after the migration: %+v", sim[0])
		}
	})
}

// Copying keeps an account's state at each upstream, each at its own.
func TestCopyKeepsEachUpstreamsState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		src, dst := storetest.Open(t, storetest.URL(t, "sqlite")), storetest.Open(t, dbURL)
		now := time.UnixMilli(time.Now().UnixMilli())
		if err := src.PutAccount(ctx, qp.AccountRecord{ID: "eve@x.io", Source: qp.AccountStored, PasswordSealed: "v1.sealed", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		limited := qp.AccountState{State: "rate_limited", FailureClass: "rate_limited", CooldownUntil: now.Add(time.Hour), StateAt: now}
		if err := src.SaveAccountState(ctx, "eve@x.io", simUpstream, limited); err != nil {
			t.Fatal(err)
		}
		if _, err := sqlstore.Copy(ctx, src, dst, func(sqlstore.CopyProgress) {}); err != nil {
			t.Fatal(err)
		}
		if got, err := dst.Accounts(ctx, ""); err != nil || got[0].State != "ready" {
			t.Fatalf("chat.qwen.ai's state on the copy: %+v %v", got, err)
		}
		if got, err := dst.Accounts(ctx, simUpstream); err != nil || got[0].State != "rate_limited" || !got[0].CooldownUntil.Equal(limited.CooldownUntil) {
			t.Fatalf("the simulator's state on the copy: %+v %v", got, err)
		}
	})
}

// migrationsFrom lists st's known migrations numbered version or later.
func migrationsFrom(t *testing.T, st *sqlstore.Store, version int) []sqlstore.MigrationStatus {
	t.Helper()
	status, err := st.MigrationStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []sqlstore.MigrationStatus
	for _, m := range status {
		if m.Version >= version && !m.Unknown {
			out = append(out, m)
		}
	}
	return out
}
