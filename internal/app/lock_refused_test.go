//go:build unix

package app

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"qwenproxy/internal/config"
)

// A second `serve` refused by a running one wrote its own pid into the lock
// files it did take first (or made anew, the holder's having been removed):
// an operator reading them to find who holds the database was pointed at a
// process that had exited. A refused start leaves each lock file as it was:
// one it found keeps its content, one it made is gone.
func TestARefusedServerLeavesTheLockFilesAsTheyWere(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{DatabasePath: db, SpoolPath: db + ".spool"}
	first := &App{}
	if err := first.lock(&cfg); err != nil {
		t.Fatal(err)
	}
	defer first.releaseLocks()
	holder := strconv.Itoa(os.Getpid()) + "\n"

	for _, tc := range []struct {
		name   string
		cfg    config.Config
		before func(t *testing.T) // what the operator did before the second start
		want   map[string]string  // each lock file's content after; "" for absent
	}{
		{"same database", cfg, nil,
			map[string]string{lockName(db): holder}},
		{"another database, the same spool", config.Config{DatabasePath: filepath.Join(dir, "other.db"), SpoolPath: cfg.SpoolPath}, nil,
			map[string]string{lockName(filepath.Join(dir, "other.db")): "", lockName(cfg.SpoolPath): holder}},
		{"another database with a stale lock file, the same spool", config.Config{DatabasePath: filepath.Join(dir, "stale.db"), SpoolPath: cfg.SpoolPath},
			func(t *testing.T) {
				if err := os.WriteFile(lockName(filepath.Join(dir, "stale.db")), []byte("12345\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			map[string]string{lockName(filepath.Join(dir, "stale.db")): "12345\n"}},
		{"the database's lock file removed under its server", cfg,
			func(t *testing.T) {
				if err := os.Remove(lockName(db)); err != nil {
					t.Fatal(err)
				}
			},
			map[string]string{lockName(db): ""}},
		{"another database in a new directory, the same spool", config.Config{DatabasePath: filepath.Join(dir, "new", "dir", "q.db"), SpoolPath: cfg.SpoolPath}, nil,
			map[string]string{filepath.Join(dir, "new"): ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before(t)
			}
			second := &App{}
			err := second.lock(&tc.cfg)
			second.releaseLocks() // never started: each lock file as it was found
			if !errors.Is(err, errLocked) {
				t.Fatalf("second server: %v, want refused", err)
			}
			for path, want := range tc.want {
				got, err := os.ReadFile(path)
				if want == "" {
					if _, serr := os.Stat(path); !errors.Is(serr, os.ErrNotExist) {
						t.Errorf("%s after the refused start: %q (%v), want no file (there was none)", filepath.Base(path), got, err)
					}
					continue
				}
				if string(got) != want {
					t.Errorf("%s after the refused start: %q (%v), want %q as before", filepath.Base(path), got, err, want)
				}
			}
		})
	}
}

// A start that took its locks in a directory it made (its database's and
// spool's, beside each other) and then failed left that directory behind,
// with the lock files in it, naming the failed process.
func TestAFailedStartLeavesNoDirectoryItMadeForItsLocks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "new")
	db := filepath.Join(dir, "q.db")
	a := &App{}
	if err := a.lock(&config.Config{DatabasePath: db, SpoolPath: db + ".spool"}); err != nil {
		t.Fatal(err)
	}
	a.releaseLocks() // never started, as a start failing after its locks
	if _, err := os.Stat(filepath.Dir(dir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the directory the failed start made: %v", err)
	}
}
