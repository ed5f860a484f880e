package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHelpListsEverySetting(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"help"}, func(string) string { return "" }, &out, &errOut); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"serve", "migrate", "QWEN_TOKEN", "DATABASE_PATH", "./data/qwenproxy.db", "SESSION_TIMEOUT"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %s", want)
		}
	}
}

func TestUnknownCommandAndBadConfigFail(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "unknown command") {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	errOut.Reset()
	bad := func(k string) string {
		if k == "PORT" {
			return "eighty"
		}
		return ""
	}
	if code := run(context.Background(), []string{"serve"}, bad, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "PORT") {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}

func TestMigrateStatusAndUp(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.db")
	env := func(k string) string {
		if k == "DATABASE_PATH" {
			return db
		}
		return ""
	}
	var out, errOut bytes.Buffer
	// status reads only: a database that is not there is not made.
	if code := run(context.Background(), []string{"migrate", "status"}, env, &out, &errOut); code != 1 || out.Len() != 0 ||
		!strings.Contains(errOut.String(), "no database at "+db+" (`qwenproxy migrate up`, or serve, makes one)") {
		t.Fatalf("exit %d: %s %s", code, out.String(), errOut.String())
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("migrate status made %s: %v", db, err)
	}
	errOut.Reset()
	sqliteWithoutSchema(t, db)
	if code := run(context.Background(), []string{"migrate", "status"}, env, &out, &errOut); code != 0 || !strings.Contains(out.String(), "0001_init") ||
		!strings.Contains(out.String(), "pending") {
		t.Fatalf("exit %d: %s %s", code, out.String(), errOut.String())
	}
	pending := strings.Count(out.String(), "pending")
	out.Reset()
	if code := run(context.Background(), []string{"migrate", "up"}, env, &out, &errOut); code != 0 || !strings.Contains(out.String(), fmt.Sprintf("applied %d migration", pending)) {
		t.Fatalf("exit %d: %s %s", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"migrate", "status", "--database-path", db}, func(string) string { return "" }, &out, &errOut); code != 0 ||
		strings.Contains(out.String(), "pending") {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	if code := run(context.Background(), []string{"migrate", "sideways"}, env, &out, &errOut); code != 2 {
		t.Fatalf("unknown action exit %d", code)
	}
}

// sqliteWithoutSchema makes a SQLite database at path that no migration has
// touched: a database file (not an empty one), with no table in it. (One
// with another application's tables is not a qwenproxy database at all,
// and refused.)
func sqliteWithoutSchema(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE dropped (x INTEGER); DROP TABLE dropped`); err != nil {
		t.Fatal(err)
	}
}
