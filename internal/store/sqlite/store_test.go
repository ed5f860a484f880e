package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
)

// pragmas reads a file's page size, journal mode and auto_vacuum mode.
func pragmas(t *testing.T, path string) (pageSize int, journal string, autoVacuum int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for q, dest := range map[string]any{"PRAGMA page_size": &pageSize, "PRAGMA journal_mode": &journal, "PRAGMA auto_vacuum": &autoVacuum} {
		if err := db.QueryRow(q).Scan(dest); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return pageSize, journal, autoVacuum
}

// openMigrated opens and migrates the store at path, and returns its
// connections' wal_autocheckpoint (pages).
func openMigrated(t *testing.T, path string) (checkpointPages int) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.DB().QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&checkpointPages); err != nil {
		t.Fatal(err)
	}
	return checkpointPages
}

// A new file is made with PageSize pages (the driver's sorted PRAGMAs would
// fix 4 KB before any page_size in the connection string), in WAL mode with
// incremental auto_vacuum.
func TestANewFileHasPageSizePages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	if pages := openMigrated(t, path); pages*PageSize != 40<<20 {
		t.Errorf("wal_autocheckpoint %d pages of %d bytes, want 40 MB", pages, PageSize)
	}
	if size, journal, autoVacuum := pragmas(t, path); size != PageSize || journal != "wal" || autoVacuum != 2 {
		t.Errorf("new file: page_size %d, journal_mode %s, auto_vacuum %d; want %d, wal, 2", size, journal, autoVacuum, PageSize)
	}
	// An empty file made ahead (by a deployment) is a new database too.
	empty := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	openMigrated(t, empty)
	if size, _, _ := pragmas(t, empty); size != PageSize {
		t.Errorf("a file made empty: page_size %d, want %d", size, PageSize)
	}
}

// A path holding what a file: URI percent-decodes or cuts at ('%', '?',
// '#') opens that very file: "a%41 b#c?d.db" opened "aA b".
func TestAPathIsAFileNotAURI(t *testing.T) {
	dir := t.TempDir()
	openMigrated(t, filepath.Join(dir, "a%41 b#c?d.db"))
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), "-wal") && !strings.HasSuffix(e.Name(), "-shm") {
			names = append(names, e.Name())
		}
	}
	if len(names) != 1 || names[0] != "a%41 b#c?d.db" {
		t.Errorf("files made: %q", names)
	}
}

// A file made with 4 KB pages (by an earlier version) keeps them and opens.
func TestAnOldFileKeepsItsPageSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA page_size = 4096; PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL;
		CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if pages := openMigrated(t, path); pages*4096 != 40<<20 {
		t.Errorf("wal_autocheckpoint %d pages of 4096 bytes, want 40 MB", pages)
	}
	if size, journal, _ := pragmas(t, path); size != 4096 || journal != "wal" {
		t.Errorf("old file: page_size %d, journal_mode %s; want 4096, wal", size, journal)
	}
}

// A database file moved away while the store is open is not made anew, empty,
// by a read that opens a connection meanwhile: such a connection stayed on
// that empty file after the operator moved the database back, and every read
// it served failed (no such table) until restart. Moved back, every read
// connection finds the database.
func TestAFileMovedAwayIsNotMadeAnew(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	openMigrated(t, path) // made and migrated, then closed
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.DB()
	n := 4 // the read pool's connections at least
	move := func(from, to string) {
		t.Helper()
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(from+suffix, to+suffix); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
	}
	// conns takes n read connections at once (opening those the pool lacks)
	// and runs a query on each.
	conns := func() (errs []error) {
		var held []*sql.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for range n {
			c, err := db.Conn(ctx)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			held = append(held, c)
			var v int
			if err := c.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&v); err != nil {
				errs = append(errs, err)
			}
		}
		return errs
	}
	if errs := conns(); len(errs) > 0 {
		t.Fatalf("reads before the move: %v", errs)
	}
	// From now on every connection opened is kept, as when concurrent reads
	// have opened them: the idle ones are not only those from before the move.
	db.SetMaxIdleConns(n)
	away := filepath.Join(dir, "away.db")
	move(path, away)
	conns() // they may fail: the file is gone
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a read made a file at %s while the database was away: %v", path, err)
	}
	move(away, path)
	if errs := conns(); len(errs) > 0 {
		t.Errorf("reads after the database came back: %v", errs)
	}
}

// A database file moved away while the store is open holds every call
// committed before the move: they were in the WAL, which keeps the name at
// the path, so the moved file lacked them, and a restart (which makes a new
// file there and writes over that WAL) lost them though their clients had
// their answers.
func TestAFileMovedAwayKeepsItsCommittedCalls(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	openMigrated(t, path)
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WriteBatch(ctx, oneCall("before")); err != nil {
		t.Fatal(err)
	}
	away := filepath.Join(dir, "away.db")
	if err := os.Rename(path, away); err != nil { // the file alone, as `mv` does
		t.Fatal(err)
	}
	if err := s.WriteBatch(ctx, oneCall("after")); !errors.Is(err, ErrFileGone) {
		t.Fatalf("a write after the move: %v, want ErrFileGone", err)
	}
	// Read as the next start would find it: the store still open (a crash
	// closes nothing), the moved file without the WAL left at path.
	if ids := requestIDsIn(t, away); len(ids) != 1 || ids[0] != "before" {
		t.Errorf("the moved file holds calls %q, want [before]", ids)
	}
}

// A directory given as the database path is said to be one, with the file
// to name instead, and nothing is made in it.
func TestADirectoryIsNotADatabaseFile(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(context.Background(), dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "a directory, not a database file") || !strings.Contains(err.Error(), filepath.Join(dir, "qwenproxy.db")) {
		t.Fatalf("opening a directory: %v", err)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("files made in the directory: %v %v", entries, err)
	}
}

// oneCall is a batch of one answered call whose request id is id.
func oneCall(id string) qp.Batch {
	now := time.Now()
	return qp.Batch{Exchanges: []qp.Exchange{{
		Request:  qp.Request{RequestID: id, Timestamp: now, Method: "POST", Path: "/v1/chat/completions", Model: "qwen3-max"},
		Response: qp.Response{ResponseID: id + "-r", Timestamp: now, Status: qp.StatusSuccess, HTTPStatus: 200},
	}}}
}

// requestIDsIn reads the request ids in the database file at path through a
// connection of its own, as another process (or the next start) would.
func requestIDsIn(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT request_id FROM requests`)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}
