package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/store/storetest"
)

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
			code := runWithInput(ctx, append(args, databaseFlag(dbURL)...), func(k string) string { return vars[k] }, strings.NewReader(""), &out, &errOut)
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
