package main

import (
	"encoding/json"
	"strings"
	"testing"

	"qwenproxy/internal/accounts"
)

// `accounts test` of an account whose password Qwen refused (auth_failed)
// never tried the password: it said Qwen refused it ("credentials_rejected")
// with nothing sent to Qwen — a password fixed at Qwen meanwhile stayed
// "refused". It signs in with the password, as it does for every account
// but a resting one; a sign-in that succeeds ends the refusal, as storing
// the password again does, and says so.
func TestAccountsTestTriesTheRefusedPassword(t *testing.T) {
	sim, run := accountsCLI(t, "changed at Qwen", "right", "QWENPROXY_SECRET_KEY", key1)
	if code, out := run("accounts", "test", "ada@example.com"); code != 1 || !strings.Contains(out, "credentials_rejected") {
		t.Fatalf("test with a password Qwen refuses: exit %d\n%s", code, out)
	}
	// Refused again, by Qwen itself: the test tried the password (it said
	// "account … is auth_failed", the pool's word, and sent nothing).
	if code, out := run("accounts", "test", "ada@example.com"); code != 1 || !strings.Contains(out, "credentials_rejected") ||
		strings.Contains(out, "is auth_failed") {
		t.Fatalf("test again with a password Qwen refuses: exit %d\n%s", code, out)
	}

	sim.ChangePassword("ada@example.com", "right") // changed back at Qwen
	code, out := run("accounts", "test", "ada@example.com")
	if code != 0 || !strings.Contains(out, "ada@example.com\tok") || !strings.Contains(out, "was auth_failed") {
		t.Fatalf("test once Qwen takes the password: exit %d\n%s", code, out)
	}
	if n := sim.SignIns("ada@example.com"); n != 1 {
		t.Fatalf("%d sign-ins, want 1", n)
	}
	code, out = run("accounts", "ls", "--json")
	var rows []accountRow
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 {
		t.Fatalf("ls: %d %s", code, out)
	}
	if r := rows[0]; r.State != accounts.StateReady || r.Note != "" {
		t.Fatalf("after a test signed the refused account in: %+v, want ready", r)
	}
}
