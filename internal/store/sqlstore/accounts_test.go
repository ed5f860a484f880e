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

func TestAccounts(t *testing.T) { storetest.Each(t, testAccounts) }

func testAccounts(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	now := time.UnixMilli(time.Now().UnixMilli())
	if err := st.PutAccount(ctx, qp.AccountRecord{ID: "a@x.io", Source: qp.AccountStored, PasswordSealed: "v1.k.sealed", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureAccount(ctx, "b@x.io", qp.AccountEnvironment, now); err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureAccount(ctx, "a@x.io", qp.AccountEnvironment, now); err != nil { // exists: untouched
		t.Fatal(err)
	}

	// States: the newest wins, whichever instance writes last.
	// The run of bare 403s goes with the state (a restart goes on counting).
	newer := qp.AccountState{State: "rate_limited", FailureClass: "rate_limited", CooldownUntil: now.Add(time.Hour), StateAt: now.Add(2 * time.Second), ForbiddenRun: 2}
	older := qp.AccountState{State: "ready", StateAt: now.Add(time.Second)}
	for _, s := range []qp.AccountState{newer, older} {
		if err := st.SaveAccountState(ctx, "a@x.io", "", s); err != nil {
			t.Fatal(err)
		}
	}
	// Counts add up from several writers.
	for range 2 {
		if err := st.AddAccountCounts(ctx, "a@x.io", 3, map[string]int64{"rate_limited": 1, "server": 2}); err != nil {
			t.Fatal(err)
		}
	}
	// One claim at a time; a stored token newer than the caller's ends the need.
	if ok, err := st.ClaimSignIn(ctx, "b@x.io", "", now, now.Add(30*time.Second), time.Time{}); err != nil || !ok {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	if ok, _ := st.ClaimSignIn(ctx, "b@x.io", "", now, now.Add(30*time.Second), time.Time{}); ok {
		t.Fatal("a second claim while the first holds")
	}
	if err := st.SaveAccountToken(ctx, "b@x.io", "", "v1.k.cookies", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.ClaimSignIn(ctx, "b@x.io", "", now, now.Add(30*time.Second), now); ok {
		t.Fatal("a claim although a fresher token is stored")
	}
	if ok, _ := st.ClaimSignIn(ctx, "b@x.io", "", now, now.Add(30*time.Second), now.Add(time.Hour)); !ok {
		t.Fatal("no claim to replace the refused token")
	}
	// An instance without the key signs in too: it ends its claim, and the
	// token its peers share stays (it was wiped).
	if err := st.SaveAccountToken(ctx, "b@x.io", "", "", now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.ClaimSignIn(ctx, "b@x.io", "", now, now.Add(30*time.Second), now.Add(time.Hour)); !ok {
		t.Fatal("the keyless sign-in did not end its claim")
	}
	if err := st.SaveAccountToken(ctx, "b@x.io", "", "", time.Time{}); err != nil { // a failed sign-in ends its claim too
		t.Fatal(err)
	}
	// (b's shared token and its expiry are checked below: still v1.k.cookies, an hour.)

	all, err := st.Accounts(ctx, "")
	if err != nil || len(all) != 2 {
		t.Fatalf("accounts: %+v %v", all, err)
	}
	a, b := all[0], all[1]
	if a.ID != "a@x.io" || a.Source != qp.AccountStored || a.PasswordSealed != "v1.k.sealed" || a.State != "rate_limited" ||
		!a.CooldownUntil.Equal(now.Add(time.Hour)) || a.ForbiddenRun != 2 || a.Calls != 6 || a.Failures["server"] != 4 || a.Failures["rate_limited"] != 2 {
		t.Fatalf("a: %+v", a)
	}
	if b.Source != qp.AccountEnvironment || b.CookiesSealed != "v1.k.cookies" || !b.TokenExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("b: %+v", b)
	}

	// New credentials start afresh.
	if err := st.PutAccount(ctx, qp.AccountRecord{ID: "a@x.io", Source: qp.AccountStored, PasswordSealed: "v1.k.new", CreatedAt: now, UpdatedAt: now.Add(3 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	n, err := st.ResealAccounts(ctx, func(id, sealed string) (string, error) { return sealed + "+" + id, nil })
	if err != nil || n != 2 {
		t.Fatalf("resealed %d: %v", n, err)
	}
	all, _ = st.Accounts(ctx, "")
	if all[0].State != "ready" || all[0].ForbiddenRun != 0 || all[0].PasswordSealed != "v1.k.new+a@x.io" || all[1].CookiesSealed != "v1.k.cookies+b@x.io" {
		t.Fatalf("after put and reseal: %+v", all)
	}
	if err := st.DeleteAccount(ctx, "a@x.io", now); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteAccount(ctx, "a@x.io", now); !errors.Is(err, qp.ErrNotFound) {
		t.Fatalf("deleting again: %v", err)
	}
}

func TestStatsByAccount(t *testing.T) { storetest.Each(t, testStatsByAccount) }

func testStatsByAccount(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	var calls []qp.Exchange
	for i := range 9 {
		ex := exchange(i, "")
		ex.Request.Account = []string{"a@x.io", "b@x.io", ""}[i%3]
		calls = append(calls, ex)
	}
	if err := st.WriteBatch(ctx, qp.Batch{Exchanges: calls}); err != nil {
		t.Fatal(err)
	}
	s, err := st.Stats(ctx, qp.StatsQuery{})
	if err != nil || len(s.ByAccount) != 3 {
		t.Fatalf("stats %+v %v", s, err)
	}
	for _, g := range s.ByAccount {
		if g.Requests != 3 {
			t.Fatalf("group %q: %d", g.Key, g.Requests)
		}
	}
	s, _ = st.Stats(ctx, qp.StatsQuery{Account: "b@x.io"})
	if s.Totals.Requests != 3 {
		t.Fatalf("account filter: %d", s.Totals.Requests)
	}
	res, err := st.ListRequests(ctx, qp.CallFilter{Account: "a@x.io"}, qp.ListOptions{Limit: 50})
	if err != nil || res.Total != 3 || len(res.Items) != 3 || res.Items[0].Account != "a@x.io" || res.Items[0].Response.Account != "a@x.io" {
		t.Fatalf("list: %+v %v", res, err)
	}
	// Deletes rebuild the rollups with their accounts.
	if _, err := st.DeleteRequestsBefore(ctx, time.Now().Add(time.Hour), 2, nil); err != nil {
		t.Fatal(err)
	}
	if s, _ := st.Stats(ctx, qp.StatsQuery{Account: "a@x.io"}); s.Totals.Requests != 0 {
		t.Fatalf("after delete: %d", s.Totals.Requests)
	}
}

func TestPutAccountLeavesAnEnvironmentAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		now := time.UnixMilli(time.Now().UnixMilli())
		if err := st.EnsureAccount(ctx, "env@x.io", qp.AccountEnvironment, now); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveAccountState(ctx, "env@x.io", "", qp.AccountState{State: "auth_failed", FailureClass: "auth", FailedCredential: "fp", StateAt: now}); err != nil {
			t.Fatal(err)
		}
		err := st.PutAccount(ctx, qp.AccountRecord{ID: "env@x.io", Source: qp.AccountStored, PasswordSealed: "v1.k.sealed", CreatedAt: now, UpdatedAt: now})
		if !errors.Is(err, sqlstore.ErrEnvironmentAccount) {
			t.Fatalf("put over an environment account: %v", err)
		}
		all, err := st.Accounts(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 1 || all[0].Source != qp.AccountEnvironment || all[0].PasswordSealed != "" || all[0].State != "auth_failed" {
			t.Fatalf("the environment account's row changed: %+v", all)
		}
		// A stored account is replaced as before.
		for _, sealed := range []string{"v1.k.one", "v1.k.two"} {
			if err := st.PutAccount(ctx, qp.AccountRecord{ID: "kept@x.io", Source: qp.AccountStored, PasswordSealed: sealed, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// An environment account's row says when a server last said it has the
// account (EnsureAccount, at start and then every half minute). While one
// has lately, the row is refused to PutAccount and DeleteAccount; once none
// has for qp.EnvironmentAccountLapse, it is no server's: removed, or stored
// over as a stored account with its password.
func TestEnvironmentAccountNoServerHas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		t0 := time.UnixMilli(time.Now().UnixMilli())
		seenAt := func(id string) time.Time {
			t.Helper()
			all, err := st.Accounts(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range all {
				if a.ID == id {
					return a.SeenAt
				}
			}
			t.Fatalf("no row for %s: %+v", id, all)
			return time.Time{}
		}
		for _, id := range []string{"gone@x.io", "moved@x.io", "kept@x.io"} {
			if err := st.EnsureAccount(ctx, id, qp.AccountEnvironment, t0); err != nil {
				t.Fatal(err)
			}
		}
		if got := seenAt("gone@x.io"); !got.Equal(t0) {
			t.Fatalf("seen at %v, want %v", got, t0)
		}
		// A refresh moves seen_at forward, never back (servers' clocks differ).
		refreshed := t0.Add(qp.EnvironmentSeenInterval)
		for _, at := range []time.Time{refreshed, t0} {
			if err := st.EnsureAccount(ctx, "kept@x.io", qp.AccountEnvironment, at); err != nil {
				t.Fatal(err)
			}
		}
		if got := seenAt("kept@x.io"); !got.Equal(refreshed) {
			t.Fatalf("kept@x.io seen at %v, want %v", got, refreshed)
		}

		// Still a server's: both refused, the row unchanged.
		soon := t0.Add(qp.EnvironmentAccountLapse)
		if err := st.DeleteAccount(ctx, "gone@x.io", soon); !errors.Is(err, sqlstore.ErrEnvironmentAccount) {
			t.Fatalf("delete of a server's account: %v", err)
		}
		err := st.PutAccount(ctx, qp.AccountRecord{ID: "moved@x.io", Source: qp.AccountStored, PasswordSealed: "v1.k.sealed", CreatedAt: soon, UpdatedAt: soon})
		if !errors.Is(err, sqlstore.ErrEnvironmentAccount) {
			t.Fatalf("put over a server's account: %v", err)
		}

		// No server's any longer (kept@x.io was refreshed later: still one's).
		later := t0.Add(qp.EnvironmentAccountLapse + time.Millisecond)
		if err := st.DeleteAccount(ctx, "gone@x.io", later); err != nil {
			t.Fatalf("delete of an account no server has: %v", err)
		}
		if err := st.DeleteAccount(ctx, "gone@x.io", later); !errors.Is(err, qp.ErrNotFound) {
			t.Fatalf("deleting again: %v", err)
		}
		if err := st.DeleteAccount(ctx, "kept@x.io", later); !errors.Is(err, sqlstore.ErrEnvironmentAccount) {
			t.Fatalf("delete of a refreshed account: %v", err)
		}
		if err := st.SaveAccountState(ctx, "moved@x.io", "", qp.AccountState{State: "auth_failed", FailureClass: "auth", FailedCredential: "fp", StateAt: t0}); err != nil {
			t.Fatal(err)
		}
		if err := st.PutAccount(ctx, qp.AccountRecord{ID: "moved@x.io", Source: qp.AccountStored, PasswordSealed: "v1.k.sealed", CreatedAt: later, UpdatedAt: later}); err != nil {
			t.Fatalf("put over an account no server has: %v", err)
		}
		all, err := st.Accounts(ctx, "")
		if err != nil || len(all) != 2 {
			t.Fatalf("accounts: %+v %v", all, err)
		}
		if m := all[1]; m.ID != "moved@x.io" || m.Source != qp.AccountStored || m.PasswordSealed != "v1.k.sealed" || m.State != "ready" ||
			!m.SeenAt.IsZero() || m.Unclaimed(later.Add(time.Hour)) {
			t.Fatalf("stored over: %+v", m)
		}
		// A server that still has it in its environment leaves the stored row as it is.
		if err := st.EnsureAccount(ctx, "moved@x.io", qp.AccountEnvironment, later); err != nil {
			t.Fatal(err)
		}
		if all, _ := st.Accounts(ctx, ""); all[1].Source != qp.AccountStored || !all[1].SeenAt.IsZero() {
			t.Fatalf("a stored row was touched: %+v", all[1])
		}
		if !all[0].Unclaimed(refreshed.Add(qp.EnvironmentAccountLapse+time.Millisecond)) || all[0].Unclaimed(refreshed.Add(qp.EnvironmentAccountLapse)) {
			t.Fatalf("Unclaimed of %+v", all[0])
		}
	})
}

// Migration 0012 counts the environment accounts that existed before it as
// seen when it ran: they stay their servers' for a while.
func TestAccountSeenMigration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		old := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		if err := st.EnsureAccount(ctx, "env@x.io", qp.AccountEnvironment, old); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"ALTER TABLE qwen_accounts DROP COLUMN seen_at", "DELETE FROM schema_migrations WHERE version = 12"} {
			if _, err := st.DB().ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		before := time.Now().Add(-time.Second) // SQLite's clock counts whole seconds
		if n, err := st.Migrate(ctx); err != nil || n != 1 {
			t.Fatalf("migrate: %d %v", n, err)
		}
		all, err := st.Accounts(ctx, "")
		if err != nil || len(all) != 1 {
			t.Fatalf("%+v %v", all, err)
		}
		if a := all[0]; a.SeenAt.Before(before) || a.SeenAt.After(time.Now()) || a.Unclaimed(time.Now()) {
			t.Fatalf("seen at %v after the migration (ran after %v)", a.SeenAt, before)
		}
	})
}

// An account whose row has a token's expiry but no token (instances without
// QWENPROXY_SECRET_KEY signed it in: they share only the expiry) has no
// token to wait for: an instance with the key, starting with none, claims
// its sign-in at once. Its claim was refused until that expiry was older
// than its own (none), so it waited out its 15 s before signing in.
func TestASignInIsClaimedWhereOnlyAnExpiryIsShared(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		now := time.UnixMilli(time.Now().UnixMilli())
		if err := st.EnsureAccount(ctx, "k@x.io", qp.AccountEnvironment, now); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveAccountToken(ctx, "k@x.io", "", "", now.Add(time.Hour)); err != nil { // a keyless instance's sign-in
			t.Fatal(err)
		}
		if ok, err := st.ClaimSignIn(ctx, "k@x.io", "", now, now.Add(30*time.Second), time.Time{}); err != nil || !ok {
			t.Fatalf("claim where only an expiry is shared: %v %v", ok, err)
		}
		if ok, _ := st.ClaimSignIn(ctx, "k@x.io", "", now, now.Add(30*time.Second), time.Time{}); ok {
			t.Fatal("a second claim while the first holds")
		}
	})
}
