package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
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

func openMigrated(t *testing.T, path string) {
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
}

// A new file is made with PageSize pages (the driver's sorted PRAGMAs would
// fix 4 KB before any page_size in the connection string), in WAL mode with
// incremental auto_vacuum.
func TestANewFileHasPageSizePages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	openMigrated(t, path)
	if size, journal, autoVacuum := pragmas(t, path); size != PageSize || journal != "wal" || autoVacuum != 2 {
		t.Errorf("new file: page_size %d, journal_mode %s, auto_vacuum %d; want %d, wal, 2", size, journal, autoVacuum, PageSize)
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
	openMigrated(t, path)
	if size, journal, _ := pragmas(t, path); size != 4096 || journal != "wal" {
		t.Errorf("old file: page_size %d, journal_mode %s; want 4096, wal", size, journal)
	}
}
