package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	if _, err := db.Exec(`PRAGMA page_size = 4096; PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL; CREATE TABLE earlier (x)`); err != nil {
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
