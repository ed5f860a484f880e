package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A PostgreSQL URL with its password given as --database-url, or as copy's
// --from or --to (as README's own copy example did), is in the process list
// for every user of the machine while the command runs. The command warns of
// it on stderr, never quoting the password, and says what to do instead.
func TestAPasswordOnTheCommandLineIsWarnedOf(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	url := "postgres://alice:hunter2@127.0.0.1:1/q?connect_timeout=1"
	for _, args := range [][]string{
		{"stats", "--database-url", url},
		{"copy", "--from", db, "--to", url},
	} {
		_, errOut, _ := runCLI(t, db, args...)
		if !strings.Contains(errOut, "warning: --") || !strings.Contains(errOut, "holds a password") || !strings.Contains(errOut, "PGPASSWORD") || strings.Contains(errOut, "hunter2") {
			t.Errorf("%q: %s", args, errOut)
		}
	}
	_, errOut, _ := runCLI(t, db, "stats", "--database-url", "postgres://alice@127.0.0.1:1/q?connect_timeout=1")
	if strings.Contains(errOut, "holds a password") {
		t.Errorf("a URL without a password warned of: %s", errOut)
	}
}
