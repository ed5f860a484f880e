package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/store/storetest"
)

// An account taken out of every server's QWEN_ACCOUNTS kept its row, as an
// environment account: `accounts ls` listed it as before, and `accounts rm`
// and `accounts add` refused it for good. Servers now say they have their
// accounts (seen_at); a row none has refreshed for
// qp.EnvironmentAccountLapse is shown as no server's (since when), and rm
// removes it or add stores it. A row a server refreshes is still refused.
func TestAccountsOfNoServerAnyLonger(t *testing.T) {
	storetest.Each(t, testAccountsOfNoServerAnyLonger)
}

func testAccountsOfNoServerAnyLonger(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	vars := map[string]string{"QWENPROXY_SECRET_KEY": key1, "DATABASE_PATH": filepath.Join(t.TempDir(), "not-this-one.db")}
	run := func(stdin string, args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := runWithInput(ctx, append(args, databaseArgs(dbURL, vars)...), func(k string) string { return vars[k] }, strings.NewReader(stdin), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	// bob and carol were in the QWEN_ACCOUNTS of servers that last ran
	// three minutes ago; dave is in a running server's.
	gone := time.UnixMilli(time.Now().Add(-3 * time.Minute).UnixMilli())
	for id, seen := range map[string]time.Time{"bob@example.com": gone, "carol@example.com": gone, "dave@example.com": time.Now()} {
		if err := st.EnsureAccount(ctx, id, qp.AccountEnvironment, seen); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SaveAccountState(ctx, "carol@example.com", "", qp.AccountState{State: accounts.StateAuthFailed, FailureClass: "auth", FailedCredential: "fp", StateAt: gone}); err != nil {
		t.Fatal(err)
	}

	code, out := run("", "accounts", "ls", "--json")
	var rows []accountRow
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 3 {
		t.Fatalf("ls: %d %s", code, out)
	}
	for _, r := range rows[:2] {
		if r.Source != qp.AccountEnvironment || r.NoServerSince == nil || !r.NoServerSince.Equal(gone) ||
			!strings.Contains(r.Note, "no server has it") || !strings.Contains(r.Note, "accounts rm") || strings.Contains(r.Note, "correct it") {
			t.Fatalf("an account no server has: %+v", r)
		}
	}
	if r := rows[2]; r.NoServerSince != nil || r.Note != "" {
		t.Fatalf("a running server's account: %+v", r)
	}
	if code, out := run("", "accounts", "ls"); code != 0 || strings.Count(out, "no server has it in QWEN_ACCOUNTS since "+ms(gone)) != 2 {
		t.Fatalf("ls: %d %s", code, out)
	}

	// A running server's account: refused, saying why and what to do.
	if code, out := run("", "accounts", "rm", "dave@example.com"); code != 1 || !strings.Contains(out, "QWEN_ACCOUNTS (or QWEN_ACCOUNTS_FILE) of a server") ||
		!strings.Contains(out, "remove it there") || !strings.Contains(out, "2 minutes") {
		t.Fatalf("rm of a running server's account: %d %s", code, out)
	}
	if code, out := run("dave-secret\n", "accounts", "add", "--email", "dave@example.com"); code != 1 || !strings.Contains(out, "not stored") ||
		!strings.Contains(out, "change its password there") || !strings.Contains(out, "2 minutes") {
		t.Fatalf("add of a running server's account: %d %s", code, out)
	}

	// No server's any longer: removed, or stored with its password.
	if code, out := run("", "accounts", "rm", "bob@example.com"); code != 0 || !strings.Contains(out, "removed") {
		t.Fatalf("rm of an account no server has: %d %s", code, out)
	}
	if code, out := run("carol-secret\n", "accounts", "add", "--email", "carol@example.com"); code != 0 || !strings.Contains(out, "stored (password sealed)") {
		t.Fatalf("add of an account no server has: %d %s", code, out)
	}
	code, out = run("", "accounts", "ls", "--json")
	rows = nil
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 2 {
		t.Fatalf("ls after rm and add: %d %s", code, out)
	}
	if r := rows[0]; r.ID != "carol@example.com" || r.Source != qp.AccountStored || r.State != accounts.StateReady || r.NoServerSince != nil || r.Note != "" {
		t.Fatalf("the account stored over: %+v", r)
	}
	all, err := st.Accounts(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := accounts.NewSealer(key1)
	if pw, err := sealer.Open(all[0].PasswordSealed, "carol@example.com"); err != nil || pw != "carol-secret" {
		t.Fatalf("carol's stored password: %v", err)
	}
	if strings.Contains(out, "secret") {
		t.Fatal("a password was printed")
	}
}
