package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// `accounts add --email a@b` stored the account (and `a@localhost`,
// `x@[1.2.3.4]`): a typo no command caught, signed in and refused for ever
// after. It is refused, saying why, and the database is left as it was.
func TestAccountsAddRefusesALooseAddress(t *testing.T) {
	vars := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "a.db"), "QWENPROXY_SECRET_KEY": key1}
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := runWithInput(context.Background(), args, func(k string) string { return vars[k] }, strings.NewReader("pw\n"), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := run("accounts", "add", "--email", "ada@example.com"); code != 0 {
		t.Fatalf("add: %d %s", code, out)
	}
	for email, why := range map[string]string{"a@b": "has no dot", "a@localhost": "has no dot", "x@[1.2.3.4]": "address literal", "a@-b.com": "hyphen"} {
		if code, out := run("accounts", "add", "--email", email); code != 1 || !strings.Contains(out, "not an e-mail address") || !strings.Contains(out, why) {
			t.Errorf("add --email %s: exit %d, want 1 saying %q:\n%s", email, code, why, out)
		}
	}
	if code, out := run("accounts", "ls"); code != 0 || strings.Count(out, "@") != 1 || !strings.Contains(out, "ada@example.com") {
		t.Fatalf("ls after the refusals, want ada@example.com alone: %d\n%s", code, out)
	}
}
