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
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/storetest"
)

// `accounts ls` told an account out after repeated bare 403s as one whose
// password Qwen refused ("set it again (accounts add)"), and said nothing
// of one resting after a 403: a 403 says nothing of the password (a ban,
// or the firewall blocking this address), so the notes say that.
func TestAccountsListTellsA403FromARefusedPassword(t *testing.T) {
	storetest.Each(t, testAccountsListTellsA403FromARefusedPassword)
}

func testAccountsListTellsA403FromARefusedPassword(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	vars := map[string]string{"QWENPROXY_SECRET_KEY": key1, "DATABASE_PATH": filepath.Join(t.TempDir(), "not-this-one.db")}
	sealer, err := accounts.NewSealer(key1)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	states := map[string]qp.AccountState{
		"out@example.com":     {State: accounts.StateAuthFailed, FailureClass: string(accounts.ClassForbidden), FailedCredential: "fp", StateAt: now},
		"resting@example.com": {State: accounts.StateCoolingDown, FailureClass: string(accounts.ClassForbidden), CooldownUntil: now.Add(time.Hour), StateAt: now},
		"refused@example.com": {State: accounts.StateAuthFailed, FailureClass: string(accounts.ClassAuth), FailedCredential: "fp", StateAt: now},
	}
	for id, state := range states {
		sealed, err := sealer.Seal("pw", id)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.PutAccount(ctx, qp.AccountRecord{ID: id, Source: qp.AccountStored, PasswordSealed: sealed, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveAccountState(ctx, id, "", state); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	code := runWithInput(ctx, append([]string{"accounts", "ls", "--json"}, databaseFlag(dbURL)...), func(k string) string { return vars[k] }, strings.NewReader(""), &out, &errOut)
	var rows []accountRow
	if code != 0 || json.Unmarshal(out.Bytes(), &rows) != nil || len(rows) != 3 {
		t.Fatalf("ls: %d %s%s", code, out.String(), errOut.String())
	}
	notes := map[string]string{}
	for _, r := range rows {
		notes[r.ID] = r.Note
	}
	for _, id := range []string{"out@example.com", "resting@example.com"} {
		if n := notes[id]; strings.Contains(n, "password") || !strings.Contains(n, "403") || !strings.Contains(n, "firewall") {
			t.Errorf("%s: note %q", id, n)
		}
	}
	if n := notes["out@example.com"]; !strings.Contains(n, "accounts reset") {
		t.Errorf("the account out after 403s: note %q, want `accounts reset`", n)
	}
	if n := notes["refused@example.com"]; !strings.Contains(n, "refused the password") {
		t.Errorf("the refused password: note %q", n)
	}
}

// Each `accounts test` is a process of its own: the run of bare 403s that
// takes an account out began again at one in each, so testing a banned
// account never took it out. Kept with the account's state, the third
// run's 403 takes it out, and that run says so (it said the account rests
// and is tried again).
func TestAccountsTestRunsCountTheRunOf403s(t *testing.T) {
	sim, run := accountsCLI(t, "right", "right", "QWEN_FAILURE_COOLDOWN", "0")
	for i := 1; i <= 3; i++ {
		sim.Inject(qwensim.Fault{Status: 403})
		code, out := run("accounts", "test", "ada@example.com")
		if code != 1 || !strings.Contains(out, "403") {
			t.Fatalf("test %d, answered 403: exit %d\n%s", i, code, out)
		}
		if out3 := i == 3; out3 != strings.Contains(out, "accounts reset ada@example.com") || out3 == strings.Contains(out, "tried again") {
			t.Errorf("test %d, answered 403, says:\n%s", i, out)
		}
	}
	code, out := run("accounts", "ls", "--json")
	var rows []accountRow
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 {
		t.Fatalf("ls: %d %s", code, out)
	}
	if r := rows[0]; r.State != accounts.StateAuthFailed || r.FailureClass != string(accounts.ClassForbidden) || r.Failures["forbidden"] != 3 {
		t.Errorf("after three tests answered 403: %+v, want out (auth_failed, forbidden)", r)
	}
}
