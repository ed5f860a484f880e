package main

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// Another application's SQLite file (tables, none of qwenproxy's
// schema_migrations) was taken for an older qwenproxy schema: copy --to and
// keys add installed qwenproxy's tables in it, stats read "a migrated
// snapshot" of it. It is refused by every command, as PostgreSQL's database
// with no qwenproxy tables is, and left byte for byte as it was.
func TestAnotherApplicationsSQLiteFileIsRefused(t *testing.T) {
	src := filepath.Join(t.TempDir(), "a.db")
	seedHistory(t, storetest.Open(t, src), 3)
	dir := t.TempDir()
	other := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE foo(x); INSERT INTO foo VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	newDB := filepath.Join(dir, "new.db")
	for _, args := range [][]string{
		{"copy", "--from", src, "--to", other},
		{"copy", "--from", "sqlite:" + other, "--to", newDB},
		{"keys", "add", "--name", "k", "--database-path", other},
		{"stats", "--database-path", other},
		{"sessions", "ls", "--database-path", other},
		{"migrate", "up", "--database-path", other},
		{"migrate", "status", "--database-path", other},
		{"export", "--database-path", other},
	} {
		out, errOut, code := runEnvOf(t, nil, args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "not a qwenproxy database") || !strings.Contains(errOut, "(foo)") || strings.Contains(errOut, "older schema") {
			t.Errorf("%q: exit %d, %q %q", args, code, out, errOut)
		}
	}
	if after, err := os.ReadFile(other); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the other application's file changed: %v, %d bytes, were %d", err, len(after), len(before))
	}
	if made := dirEntries(t, dir); len(made) != 1 {
		t.Errorf("the refused commands left %v", made)
	}
}
