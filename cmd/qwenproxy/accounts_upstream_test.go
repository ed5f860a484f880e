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

// `accounts ls` and `accounts reset` show and change an account's state at
// the command's QWEN_BASE_URL (chat.qwen.ai unless set): a rate limit the
// simulator set is not chat.qwen.ai's, and resetting it there leaves
// chat.qwen.ai's own rest as it is.
func TestAccountsCommandsGoByTheirUpstream(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		const sim = "http://127.0.0.1:41305"
		now := time.Now()
		if err := st.EnsureAccount(ctx, "a@x.io", qp.AccountEnvironment, now); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveAccountState(ctx, "a@x.io", sim, qp.AccountState{State: accounts.StateRateLimited, FailureClass: string(accounts.ClassRateLimited),
			CooldownUntil: now.Add(3 * time.Hour), StateAt: now}); err != nil {
			t.Fatal(err)
		}
		run := func(baseURL string, args ...string) (int, string) {
			t.Helper()
			vars := map[string]string{"QWEN_BASE_URL": baseURL, "DATABASE_PATH": filepath.Join(t.TempDir(), "not-this-one.db")}
			var out, errOut bytes.Buffer
			code := runWithInput(ctx, append(args, databaseFlag(dbURL)...), func(k string) string { return vars[k] }, strings.NewReader(""), &out, &errOut)
			return code, out.String() + errOut.String()
		}
		state := func(baseURL string) string {
			t.Helper()
			code, out := run(baseURL, "accounts", "ls", "--json")
			var rows []accountRow
			if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 {
				t.Fatalf("ls at %q: %d %s", baseURL, code, out)
			}
			return rows[0].State
		}
		if got := state(""); got != accounts.StateReady {
			t.Fatalf("ls at chat.qwen.ai: %s, the simulator's rate limit", got)
		}
		if got := state(sim); got != accounts.StateRateLimited {
			t.Fatalf("ls at the simulator: %s", got)
		}
		if code, out := run(sim, "accounts", "ls"); code != 0 || !strings.Contains(out, "at "+sim) {
			t.Fatalf("ls at the simulator does not say whose state it shows: %d %s", code, out)
		}
		if err := st.SaveAccountState(ctx, "a@x.io", "", qp.AccountState{State: accounts.StateCoolingDown, FailureClass: string(accounts.ClassServer),
			CooldownUntil: now.Add(time.Hour), StateAt: now}); err != nil {
			t.Fatal(err)
		}
		if code, out := run(sim, "accounts", "reset", "a@x.io"); code != 0 || !strings.Contains(out, "ready at "+sim) {
			t.Fatalf("reset at the simulator: %d %s", code, out)
		}
		if got := state(sim); got != accounts.StateReady {
			t.Fatalf("ls at the simulator after its reset: %s", got)
		}
		if got := state(""); got != accounts.StateCoolingDown {
			t.Fatalf("ls at chat.qwen.ai after the simulator's reset: %s, want its own rest", got)
		}
	})
}
