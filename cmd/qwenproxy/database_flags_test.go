package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// --database-path names the database whatever DATABASE_URL says, as flags
// override the environment: on a machine set up for PostgreSQL, `sessions
// rm ID --database-path backup.db` deleted the session from PostgreSQL,
// and `keys ls --database-path backup.db` listed PostgreSQL's keys. Both
// flags at once are refused as a usage error, with nothing touched.
func TestDatabasePathFlagBeatsDatabaseURL(t *testing.T) {
	dbURL := storetest.PostgresSchema(t)
	pg := storetest.Open(t, dbURL)
	seedHistory(t, pg, 3)
	path := filepath.Join(t.TempDir(), "backup.db")
	lite := storetest.Open(t, path)
	seedHistory(t, lite, 3)
	lite.Close()
	vars := map[string]string{"DATABASE_URL": dbURL}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, func(k string) string { return vars[k] }, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, out, errOut := run("sessions", "rm", "s-01", "--database-path", path); code != 0 {
		t.Errorf("sessions rm --database-path: exit %d, %q %q", code, out, errOut)
	}
	if _, err := pg.SessionRecord(context.Background(), "s-01"); err != nil {
		t.Errorf("sessions rm --database-path deleted from DATABASE_URL's database: %v", err)
	}
	if code, out, _ := run("sessions", "show", "s-01", "--database-path", path); code != 1 || out != "" {
		t.Errorf("the session is still in the file named: exit %d", code)
	}
	code, out, errOut := run("sessions", "rm", "s-02", "--database-path", path, "--database-url", dbURL)
	if code != 2 || out != "" || !strings.Contains(errOut, "--database-path (a SQLite file) and --database-url (PostgreSQL) name two databases") {
		t.Errorf("both flags: exit %d, %q %q", code, out, errOut)
	}
	if code, _, _ := run("sessions", "show", "s-02", "--database-path", path); code != 0 {
		t.Errorf("a refused sessions rm deleted from the file")
	}
	if _, err := pg.SessionRecord(context.Background(), "s-02"); err != nil {
		t.Errorf("a refused sessions rm deleted from PostgreSQL: %v", err)
	}
	// serve refuses both alike, before it opens anything.
	code, _, errOut = run("serve", "--database-path", path, "--database-url", dbURL)
	if code != 2 || !strings.Contains(errOut, "name two databases") {
		t.Errorf("serve with both flags: exit %d, %q", code, errOut)
	}
}

// DATABASE_PATH in copy's sqlite:PATH form names the file PATH for the
// commands too: they said "no database at sqlite:PATH" of a file serve
// opened.
func TestCommandsTakeASQLitePrefixedDatabasePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	st := storetest.Open(t, path)
	seedHistory(t, st, 3)
	st.Close()
	for _, args := range [][]string{{"stats", "--json"}, {"requests"}, {"sessions", "--database-path", "sqlite:" + path}} {
		out, errOut, code := runCLI(t, "sqlite:"+path, args...)
		if code != 0 || out == "" {
			t.Errorf("%v with DATABASE_PATH=sqlite:%s: exit %d, %q %q", args, path, code, out, errOut)
		}
	}
}
