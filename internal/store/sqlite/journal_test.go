package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A -wal or -shm deleted under an open store (an operator's cleanup, a
// tmpwatch) left the server committing into a file no other process could
// see: a `kill -9` then lost every call since the last checkpoint, the CLI
// read the history without them (and made a WAL of its own beside the
// server's), and health said all was well. The next write now checkpoints
// the held WAL into the database file and is refused, so records go to the
// spool until a restart.
func TestADeletedWALOrSHMIsCheckpointedAndRefused(t *testing.T) {
	for _, suffix := range []string{"-wal", "-shm"} {
		t.Run(suffix, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "q.db")
			openMigrated(t, path)
			s, err := Open(ctx, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.WriteBatch(ctx, oneCall("before")); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(path + suffix); err != nil {
				t.Fatal(err)
			}
			if err := s.WriteBatch(ctx, oneCall("after")); !errors.Is(err, ErrJournalGone) {
				t.Fatalf("a write after %s was deleted: %v, want ErrJournalGone", suffix, err)
			}
			if err := s.Check(ctx); !errors.Is(err, ErrJournalGone) {
				t.Errorf("health check after %s was deleted: %v, want ErrJournalGone", suffix, err)
			}
			// Read as another process (or the next start after a crash)
			// would: the store still open, the file without the deleted WAL.
			if ids := requestIDsIn(t, path); len(ids) != 1 || ids[0] != "before" {
				t.Errorf("the file holds calls %q, want [before]", ids)
			}
		})
	}
}

// A directory made unreadable to the server's user (chmod 000, not as
// root) made every look at the database's path fail, which the guard took
// for the file deleted or replaced: the log and health told the operator
// to restore it or restart to create a new one, and the held WAL was
// checkpointed and a save tried. A path that cannot be looked at is now
// said to be so, and nothing is done to the file. (Root reads any
// directory, so the failure is the stat's, given.)
func TestAnUnreadablePathIsNotTakenForADeletedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	openMigrated(t, path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	denied := func(string) (os.FileInfo, error) {
		return nil, &os.PathError{Op: "stat", Path: path, Err: syscall.EACCES}
	}
	g := &guard{files: []held{{path, fi}}, stat: denied}
	err = g.check()
	if !errors.Is(err, ErrFileUnreachable) || errors.Is(err, ErrFileGone) || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("a path that cannot be looked at: %v, want ErrFileUnreachable naming the cause", err)
	}
	// Deleted is still deleted; a directory replaced by a file too.
	for name, stat := range map[string]func(string) (os.FileInfo, error){
		"missing": func(string) (os.FileInfo, error) {
			return nil, &os.PathError{Op: "stat", Path: path, Err: syscall.ENOENT}
		},
		"not directory": func(string) (os.FileInfo, error) {
			return nil, &os.PathError{Op: "stat", Path: path, Err: syscall.ENOTDIR}
		},
	} {
		gone, err := held{path, fi}.gone(stat)
		if !gone || err != nil {
			t.Errorf("%s: gone %v, %v", name, gone, err)
		}
	}
	if gone, err := (held{path, fi}).gone(os.Stat); gone || err != nil {
		t.Errorf("the file as opened: gone %v, %v", gone, err)
	}
}
