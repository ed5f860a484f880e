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
