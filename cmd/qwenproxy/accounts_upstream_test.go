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
			code := runWithInput(ctx, append(args, databaseArgs(dbURL, vars)...), func(k string) string { return vars[k] }, strings.NewReader(""), &out, &errOut)
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

// `accounts ls` shows the state at its own QWEN_BASE_URL: run without the
// server's (a server started with --mock-upstream, or with QWEN_BASE_URL in
// its unit but not in the operator's shell) it showed every account ready
// while the server had them all resting, and `accounts reset` "made ready"
// an account that was ready already there. Both now name the other
// upstreams where a rest or a refusal is in force, and how to see them;
// where none is (a rest that has ended), they say nothing more.
func TestAccountsCommandsNameRestsInForceAtOtherUpstreams(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		const sim, old = "http://127.0.0.1:41305", "http://127.0.0.1:41306"
		now := time.Now()
		for _, id := range []string{"a@x.io", "b@x.io"} {
			if err := st.EnsureAccount(ctx, id, qp.AccountEnvironment, now); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.SaveAccountState(ctx, "a@x.io", sim, qp.AccountState{State: accounts.StateRateLimited, FailureClass: string(accounts.ClassRateLimited),
			CooldownUntil: now.Add(3 * time.Hour), StateAt: now}); err != nil {
			t.Fatal(err)
		}
		// A rest that has ended, at another simulator: nothing in force.
		if err := st.SaveAccountState(ctx, "b@x.io", old, qp.AccountState{State: accounts.StateCoolingDown, FailureClass: string(accounts.ClassServer),
			CooldownUntil: now.Add(-time.Minute), StateAt: now.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		run := func(baseURL string, args ...string) (int, string, string) {
			t.Helper()
			vars := map[string]string{"QWEN_BASE_URL": baseURL, "DATABASE_PATH": filepath.Join(t.TempDir(), "not-this-one.db")}
			var out, errOut bytes.Buffer
			code := runWithInput(ctx, append(args, databaseArgs(dbURL, vars)...), func(k string) string { return vars[k] }, strings.NewReader(""), &out, &errOut)
			return code, out.String(), errOut.String()
		}
		for _, args := range [][]string{{"accounts", "ls"}, {"accounts", "reset", "a@x.io"}} {
			code, out, errOut := run("", args...)
			said := out + errOut
			if code != 0 || !strings.Contains(said, sim) || !strings.Contains(said, "QWEN_BASE_URL="+sim) || strings.Contains(said, old) {
				t.Errorf("%v at chat.qwen.ai: exit %d, want %s named (and not %s): %s%s", args, code, sim, old, out, errOut)
			}
		}
		// At the simulator's own address the table is its; chat.qwen.ai has
		// nothing in force: nothing more is said.
		if code, out, errOut := run(sim, "accounts", "ls"); code != 0 || strings.Contains(out+errOut, "QWEN_BASE_URL=") {
			t.Errorf("accounts ls at the simulator: exit %d: %s%s", code, out, errOut)
		}
		// --json is the rows alone.
		if code, out, _ := run("", "accounts", "ls", "--json"); code != 0 || !strings.HasPrefix(out, "[") {
			t.Errorf("accounts ls --json: exit %d: %s", code, out)
		}
	})
}
