package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `accounts add` read the first line of its standard input and dropped the
// rest without a word: a password file of several lines, or a password that
// wrapped, stored its first line. A second line with something on it is
// refused, the password never quoted, and nothing is stored (no database
// made), as `credentials set` refuses a third line; blank lines after the
// password are taken (a trailing newline, an editor's).
func TestAccountsAddRefusesASecondLine(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.db")
	vars := map[string]string{"DATABASE_PATH": db, "QWENPROXY_SECRET_KEY": key1}
	run := func(stdin string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := runWithInput(context.Background(), args, func(k string) string { return vars[k] }, strings.NewReader(stdin), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run("first-half\nsecond-half\n", "accounts", "add", "--email", "ada@example.com")
	if code != 1 || out != "" || !strings.Contains(errOut, "more than one line") || strings.Contains(errOut, "half") {
		t.Errorf("two lines: exit %d, %q %q", code, out, errOut)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("the refused add made the database: %v", err)
	}
	if code, _, errOut := run("pw-alone\n\n  \n", "accounts", "add", "--email", "ada@example.com"); code != 0 {
		t.Fatalf("a password and blank lines: exit %d, %s", code, errOut)
	}
}
