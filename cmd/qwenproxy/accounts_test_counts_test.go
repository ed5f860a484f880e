package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// `accounts test` meeting a firewall page at sign-in counted the failure
// but not the call, and stored a cooldown that ended as it began: built
// without QWEN_FAILURE_COOLDOWN, its pool rested the account for nothing.
// A server's call whose sign-in meets the page counts the call and the
// failure, and rests the account for QWEN_FAILURE_COOLDOWN: the test's
// bookkeeping is now the same.
func TestAccountsTestCountsAndRestsAsACallDoes(t *testing.T) {
	sim, run := accountsCLI(t, "right", "right", "QWEN_FAILURE_COOLDOWN", "60000")
	ls := func() accountRow {
		t.Helper()
		code, out := run("accounts", "ls", "--json")
		var rows []accountRow
		if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 {
			t.Fatalf("ls: %d %s", code, out)
		}
		return rows[0]
	}
	sim.FailSignIns("ada@example.com", 1)
	before := time.Now()
	if code, out := run("accounts", "test", "ada@example.com"); code != 1 || !strings.Contains(out, "firewall") {
		t.Fatalf("test behind the firewall: %d %s", code, out)
	}
	r := ls()
	if r.State != "cooling_down" || r.FailureClass != "firewall" || r.CooldownUntil == nil || r.CooldownUntil.Before(before.Add(time.Minute)) {
		t.Errorf("after a firewall page at sign-in: %+v, want cooling_down for QWEN_FAILURE_COOLDOWN (a minute)", r)
	}
	if r.Calls != 1 || r.Failures["firewall"] != 1 {
		t.Errorf("after a firewall page at sign-in: %d calls, failures %v; want 1 call and 1 firewall failure, as a call's", r.Calls, r.Failures)
	}

	// Resting, it is not signed in: no call to count.
	if code, out := run("accounts", "test", "ada@example.com"); code != 1 || !strings.Contains(out, "cooling_down") {
		t.Fatalf("test of the resting account: %d %s", code, out)
	}
	if r := ls(); r.Calls != 1 || r.Failures["firewall"] != 1 {
		t.Errorf("a test of the resting account counted: %d calls, failures %v", r.Calls, r.Failures)
	}
	if code, out := run("accounts", "reset", "ada@example.com"); code != 0 {
		t.Fatalf("reset: %d %s", code, out)
	}
	if code, out := run("accounts", "test", "ada@example.com"); code != 0 {
		t.Fatalf("test after the reset: %d %s", code, out)
	}
	if r := ls(); r.State != "ready" || r.Calls != 2 || r.Failures["firewall"] != 1 {
		t.Errorf("after a test that went through: %+v, want ready with 2 calls", r)
	}
}
