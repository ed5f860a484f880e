package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/qwensim"

	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// readCommands are the history commands that only read.
var readCommands = [][]string{
	{"sessions"}, {"sessions", "show", "s-03"}, {"requests"}, {"requests", "show", "req-00004"},
	{"stats"}, {"export"}, {"export", "--format", "csv"}, {"keys", "ls"},
	{"accounts", "ls"}, {"credentials", "status"}, {"credentials"},
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

// migration13 says whether the SQLite file at path has migration 13
// recorded, and its column.
func migration13(t *testing.T, path string) (migrated, column int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM schema_migrations WHERE version = 13),
		(SELECT COUNT(*) FROM pragma_table_info('sessions') WHERE name = 'last_call_ids')`).Scan(&migrated, &column); err != nil {
		t.Fatal(err)
	}
	return migrated, column
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
		if migrated, column := migration13(t, src); migrated != 0 || column != 0 {
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

// A PostgreSQL database no server has run on yet (made for the proxy, the
// first command a newcomer tries on it) is refused by the commands that only
// read saying it has no tables yet and what creates them, not that "its
// schema is older than this qwenproxy's" with instances to upgrade; the
// commands that may make a new database (accounts ls, credentials) still
// migrate it.
func TestReadCommandsSayAnEmptyPostgresDatabaseHasNoTablesYet(t *testing.T) {
	dbURL := storetest.PostgresSchema(t)
	for _, args := range readCommands {
		if args[0] == "accounts" || args[0] == "credentials" {
			continue
		}
		out, errOut, code := runOn(t, dbURL, args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "has no qwenproxy tables yet") || !strings.Contains(errOut, "qwenproxy serve --database-url creates them") ||
			strings.Contains(errOut, "older") {
			t.Errorf("%v on an empty PostgreSQL database: exit %d, %q %q", args, code, out, errOut)
		}
	}
	if out, errOut, code := runOn(t, dbURL, "accounts", "ls"); code != 0 {
		t.Fatalf("accounts ls on an empty PostgreSQL database: exit %d, %q %q", code, out, errOut)
	}
	if out, errOut, code := runOn(t, dbURL, "sessions"); code != 0 {
		t.Errorf("sessions once accounts ls made the tables: exit %d, %q %q", code, out, errOut)
	}
}

// doctor reads the stored credentials of the database beside it without
// migrating it: run by the new binary before the switch, beside the
// earlier version's server still using its SQLite file, it migrated that
// file under the server.
func TestDoctorLeavesAnOlderDatabaseAsItWas(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	path := filepath.Join(t.TempDir(), "live.db")
	st := storetest.Open(t, path)
	if err := st.SetQwenCredentials(context.Background(), qp.QwenCredentials{Cookies: qwensim.LoginCookie(), UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	asBeforeMigration13(t, st)
	st.Close()
	vars := map[string]string{"DATABASE_PATH": path, "QWEN_BASE_URL": sim.URL}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"doctor", "--json"}, func(k string) string { return vars[k] }, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), `"credentials": "stored"`) {
		t.Errorf("doctor beside an older database: exit %d, %s %s", code, out.String(), errOut.String())
	}
	if migrated, column := migration13(t, path); migrated != 0 || column != 0 {
		t.Errorf("doctor migrated the database (migration 13 recorded: %d, its column: %d)", migrated, column)
	}
}

// accounts ls and credentials status, which may run before the first serve,
// still make a new database, migrated (they read the older one unchanged).
func TestReadsThatMayRunFirstStillMakeADatabase(t *testing.T) {
	for _, args := range [][]string{{"accounts", "ls"}, {"credentials", "status"}} {
		path := filepath.Join(t.TempDir(), "new.db")
		if out, errOut, code := runOn(t, path, args...); code != 0 || errOut != "" {
			t.Errorf("%v on no database: exit %d, %q %q", args, code, out, errOut)
		}
		if migrated, column := migration13(t, path); migrated != 1 || column != 1 {
			t.Errorf("%v made a database without its schema (migration 13 recorded: %d)", args, migrated)
		}
	}
}
