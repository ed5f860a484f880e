package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A failed open left behind the empty file (and the directories) it made
// where there had been nothing: the next start took that file for a new
// database, and an operator found a 0-byte "database" they never made.
// Each case fails after the file was made: its -wal cannot be made.
func TestAFailedOpenLeavesNothingItMade(t *testing.T) {
	for _, tc := range []struct {
		name string
		path func(dir string) string // the database's path, its -wal's place taken
	}{
		{"the -wal's place taken by a directory", func(dir string) string {
			if err := os.Mkdir(filepath.Join(dir, "q.db-wal"), 0o755); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(dir, "q.db")
		}},
		// The name fits, the -wal's is too long (NAME_MAX 255): in
		// directories the open makes.
		{"a name too long for its -wal, in new directories", func(dir string) string {
			return filepath.Join(dir, "new", "sub", strings.Repeat("b", 251)+".db")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tc.path(dir)
			before := entries(t, dir)
			if s, err := Open(context.Background(), path, Options{}); err == nil {
				s.Close()
				t.Fatal("opened")
			}
			if after := entries(t, dir); strings.Join(after, ",") != strings.Join(before, ",") {
				t.Fatalf("after the failed open %v, want %v as before", after, before)
			}
		})
	}
}

// A database whose first migration failed (here cut short, as by a stop
// signal) is removed by Discard with its -wal and -shm and the directories
// the open made; one that was there before the open is only closed.
func TestDiscardRemovesOnlyADatabaseTheOpenMade(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new", "q.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Migrate(cancelled); err == nil {
		t.Fatal("migrated with a cancelled context")
	}
	if err := s.Discard(); err != nil {
		t.Fatal(err)
	}
	if after := entries(t, dir); len(after) != 0 {
		t.Fatalf("after the failed first migration %v, want nothing", after)
	}

	openMigrated(t, path) // made, migrated and closed: there now
	s, err = Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Discard(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("a database that was there before the open: %v", err)
	}
}

// entries lists every file and directory under dir, relative to it.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
