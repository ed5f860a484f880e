//go:build unix

package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/config"
)

// A second server reaching the same SQLite file (or spool) by a symbolic
// link — a linked data directory, a link to the file — took a lock of its
// own beside the link and served the file too. Both now lock beside the
// file the path resolves to, and the second refuses to start.
func TestASecondServerThroughASymlinkIsRefused(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	linkedDir := filepath.Join(dir, "linked")
	if err := os.Symlink(data, linkedDir); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(data, "q.db")
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	linkedFile := filepath.Join(dir, "link.db")
	if err := os.Symlink(db, linkedFile); err != nil {
		t.Fatal(err)
	}
	first := &App{}
	if err := first.lock(&config.Config{DatabasePath: db, SpoolPath: db + ".spool"}); err != nil {
		t.Fatal(err)
	}
	defer first.releaseLocks()
	for _, tc := range []struct {
		name string
		cfg  config.Config
		want string
	}{
		{"database by a linked directory", config.Config{DatabasePath: filepath.Join(linkedDir, "q.db"), SpoolPath: filepath.Join(dir, "own.spool")}, "already serves the database"},
		{"database by a link to the file", config.Config{DatabasePath: linkedFile, SpoolPath: filepath.Join(dir, "own2.spool")}, "already serves the database"},
		{"spool by a linked directory", config.Config{DatabasePath: filepath.Join(dir, "other.db"), SpoolPath: filepath.Join(linkedDir, "q.db.spool")}, "needs its own RECORDER_SPOOL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			second := &App{}
			err := second.lock(&tc.cfg)
			second.releaseLocks() // never started: each lock file as it was found
			if !errors.Is(err, errLocked) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("second server: %v, want %q", err, tc.want)
			}
		})
	}
}

// An operator who removed the lock files beside a running server's
// database ("stale" after a crash, as other software's are) let a second
// server start on the same file and spool: both spooled while the database
// was locked, and each one's replay, emptying the spool, threw away the
// other's records (found with the binary: 97 of 180 answered calls lost).
// The server holds a lock on the database file itself too, which no lock
// file's removal undoes.
func TestARemovedLockFileLetsNoSecondServerIn(t *testing.T) {
	for _, made := range []bool{false, true} {
		name := "an existing database"
		if made {
			name = "a database the first start made"
		}
		t.Run(name, func(t *testing.T) { secondServerAfterLocksRemoved(t, made) })
	}
}

// secondServerAfterLocksRemoved starts a first server's locks on a database
// that exists, or that its start makes (after the locks, when the store
// opens), removes the lock files, and expects a second server refused.
func secondServerAfterLocksRemoved(t *testing.T, made bool) {
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	create := func() {
		if err := os.WriteFile(db, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if !made {
		create()
	}
	cfg := config.Config{DatabasePath: db, SpoolPath: db + ".spool"}
	first := &App{}
	if err := first.lock(&cfg); err != nil {
		t.Fatal(err)
	}
	defer first.releaseLocks()
	if made {
		create() // as the store's open does
		if err := first.holdDatabaseFile(&cfg); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{lockName(db), lockName(cfg.SpoolPath)} {
		if err := os.Remove(name); err != nil {
			t.Fatal(err)
		}
	}
	second := &App{}
	err := second.lock(&cfg)
	second.releaseLocks() // never started: each lock file as it was found
	if !errors.Is(err, errLocked) || !strings.Contains(err.Error(), "already serves the database") {
		t.Fatalf("a second server after the lock files were removed: %v", err)
	}
}

// The spool's lock file removed under a server on PostgreSQL (where the
// database has no file to lock) let a second instance on the same host use
// the same spool, and each one's replay empties it of the other's records.
// The spool file itself is locked too: when the start finds it, and once
// the recorder made it.
func TestARemovedSpoolLockLetsNoSecondServerShareIt(t *testing.T) {
	for _, made := range []bool{false, true} {
		t.Run(fmt.Sprintf("made by the first start: %v", made), func(t *testing.T) {
			spool := filepath.Join(t.TempDir(), "q.spool")
			create := func() {
				if err := os.WriteFile(spool, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if !made {
				create()
			}
			cfg := config.Config{DatabaseURL: "postgres://unused", SpoolPath: spool}
			first := &App{}
			if err := first.lock(&cfg); err != nil {
				t.Fatal(err)
			}
			defer first.releaseLocks()
			if made {
				create() // as the recorder's start does
				if err := first.holdSpoolFile(&cfg); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Remove(lockName(spool)); err != nil {
				t.Fatal(err)
			}
			second := &App{}
			err := second.lock(&cfg)
			second.releaseLocks() // never started: each lock file as it was found
			if !errors.Is(err, errLocked) || !strings.Contains(err.Error(), "needs its own RECORDER_SPOOL") {
				t.Fatalf("a second server after the spool's lock file was removed: %v", err)
			}
		})
	}
}
