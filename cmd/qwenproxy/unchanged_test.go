package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// readCommands are the history commands that only read.
var readCommands = [][]string{
	{"sessions"}, {"sessions", "show", "s-03"}, {"requests"}, {"requests", "show", "req-00004"},
	{"stats"}, {"export"}, {"export", "--format", "csv"}, {"keys", "ls"},
}

// asBeforeMigration13 makes st's database as the version before migration
// 0013 left it.
func asBeforeMigration13(t *testing.T, st *sqlstore.Store) {
	t.Helper()
	for _, q := range []string{`ALTER TABLE sessions DROP COLUMN last_call_ids`, `DELETE FROM schema_migrations WHERE version = 13`} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// The commands that only read never migrate what they read: a SQLite file
// at an older schema (the copy kept from before an upgrade, to go back
// with) is read from a migrated snapshot and stays at its schema. They
// migrated it in place, after which the earlier version refused it
// ("migrated by a newer qwenproxy"): a look at the backup took the way back.
func TestReadCommandsLeaveAnOlderSQLiteFileAsItWas(t *testing.T) {
	src := filepath.Join(t.TempDir(), "before-upgrade.db")
	st := storetest.Open(t, src)
	seedHistory(t, st, 30)
	asBeforeMigration13(t, st)
	st.Close()
	for _, args := range readCommands {
		out, errOut, code := runOn(t, src, args...)
		if code != 0 || out == "" || !strings.Contains(errOut, "older schema") {
			t.Errorf("%v on an older file: exit %d, %q %q", args, code, out, errOut)
		}
		db, err := sql.Open("sqlite", "file:"+src+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		var migrated, column int
		if err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM schema_migrations WHERE version = 13),
			(SELECT COUNT(*) FROM pragma_table_info('sessions') WHERE name = 'last_call_ids')`).Scan(&migrated, &column); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if migrated != 0 || column != 0 {
			t.Fatalf("%v migrated the file it read (migration 13 recorded: %d, its column: %d)", args, migrated, column)
		}
	}
	if out, _, code := runOn(t, src, "requests", "show", "req-00004"); code != 0 || !strings.Contains(out, `"n": 4`) {
		t.Errorf("requests show on the snapshot: exit %d, %s", code, out)
	}
}

// An older PostgreSQL database, which instances of the earlier version may
// still be using, is refused by the commands that only read, with what to
// run, rather than migrated under those instances.
func TestReadCommandsRefuseAnOlderPostgresDatabase(t *testing.T) {
	dbURL := storetest.PostgresSchema(t)
	st := storetest.Open(t, dbURL)
	seedHistory(t, st, 3)
	asBeforeMigration13(t, st)
	for _, args := range readCommands {
		out, errOut, code := runOn(t, dbURL, args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "migrate up") || !strings.Contains(errOut, "does not migrate") {
			t.Errorf("%v on an older PostgreSQL database: exit %d, %q %q", args, code, out, errOut)
		}
	}
	status, err := st.MigrationStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range status {
		if m.Version == 13 && !m.AppliedAt.IsZero() {
			t.Error("a read command migrated the PostgreSQL database")
		}
	}
}
