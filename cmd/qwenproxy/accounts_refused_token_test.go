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

// `accounts ls` showed an account out because Qwen refused its password
// with the expiry of the token it held before (got before a refresh was
// refused, or before another instance met the refusal), beside
// auth_failed, where /health/detailed says no token_expires_at: no server
// uses that token until the credentials change or a reset. An account out
// after a ban's 403s signed in, and keeps its token's expiry, as there.
func TestAccountsListShowsNoTokenExpiryForARefusedPassword(t *testing.T) {
	storetest.Each(t, testAccountsListShowsNoTokenExpiryForARefusedPassword)
}

func testAccountsListShowsNoTokenExpiryForARefusedPassword(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	vars := map[string]string{"QWENPROXY_SECRET_KEY": key1, "DATABASE_PATH": filepath.Join(t.TempDir(), "not-this-one.db")}
	sealer, err := accounts.NewSealer(key1)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	expires := now.Add(3 * time.Hour).Truncate(time.Millisecond)
	states := map[string]qp.AccountState{
		"refused@example.com": {State: accounts.StateAuthFailed, FailureClass: string(accounts.ClassAuth), FailedCredential: "fp", StateAt: now},
		"banned@example.com":  {State: accounts.StateAuthFailed, FailureClass: string(accounts.ClassForbidden), FailedCredential: "fp", StateAt: now},
		"ready@example.com":   {State: accounts.StateReady, StateAt: now},
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
		token, err := sealer.Seal("token=old", id)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SaveAccountToken(ctx, id, "", token, expires); err != nil {
			t.Fatal(err)
		}
	}
	ls := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := runWithInput(ctx, append(append([]string{"accounts", "ls"}, args...), databaseFlag(dbURL)...), func(k string) string { return vars[k] },
			strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("ls %v: %d %s%s", args, code, out.String(), errOut.String())
		}
		return out.String()
	}
	var rows []accountRow
	if out := ls("--json"); json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 3 {
		t.Fatalf("ls --json: %s", out)
	}
	for _, r := range rows {
		shown := r.TokenExpiresAt != nil
		if want := r.ID != "refused@example.com"; shown != want {
			t.Errorf("%s (%s): token_expires_at %v, want shown %v", r.ID, r.State, r.TokenExpiresAt, want)
		}
	}
	for _, line := range strings.Split(ls(), "\n") {
		if strings.HasPrefix(line, "refused@example.com") && strings.Contains(line, ms(expires)) {
			t.Errorf("the refused account's row shows its old token's expiry:\n%s", line)
		}
	}
}
