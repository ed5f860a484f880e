package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestAccountsListShowsAnAccountItCannotOpenAsLocked: an account added
// with a key is "locked" in `accounts ls` run without that key, as health
// shows it, not "ready".
func TestAccountsListShowsAnAccountItCannotOpenAsLocked(t *testing.T) {
	vars := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "a.db"), "QWENPROXY_SECRET_KEY": key1}
	env := func(k string) string { return vars[k] }
	run := func(stdin string, args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := runWithInput(context.Background(), args, env, strings.NewReader(stdin), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := run("pw\n", "accounts", "add", "--email", "ada@example.com"); code != 0 {
		t.Fatalf("add: %d %s", code, out)
	}
	if code, out := run("", "accounts", "ls", "--json"); code != 0 || !strings.Contains(out, `"state": "ready"`) {
		t.Fatalf("ls with the key: %d %s", code, out)
	}
	for _, key := range []string{"", key2} {
		vars["QWENPROXY_SECRET_KEY"] = key
		if code, out := run("", "accounts", "ls", "--json"); code != 0 || !strings.Contains(out, `"state": "locked"`) || strings.Contains(out, `"ready"`) {
			t.Fatalf("ls with key %q: %d %s", key, code, out)
		}
	}
}
