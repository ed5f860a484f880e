package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A database file holds every conversation, the stored keys' hashes, the
// Qwen accounts' sealed passwords and — stored without
// QWENPROXY_SECRET_KEY — the pasted Cookie header in clear: a new one is
// made readable by its owner alone (0600), as the spool always was, and so
// are its -wal and -shm (SQLite gives them the file's mode) and a save of
// a file deleted under the store. Under the usual umask (022) they were
// made 0644: readable by every user of the machine. A file that exists
// keeps its mode, which is the operator's.
func TestANewDatabaseIsReadableByItsOwnerAlone(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "q.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatch(ctx, oneCall("a")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(name); err != nil {
			t.Errorf("%s: %v", name, err)
		} else if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s is made %#o, want 0600", filepath.Base(name), mode)
		}
	}
	// Deleted under the store: the save beside it is the owner's alone too.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	if err := s.WriteBatch(ctx, oneCall("b")); err == nil {
		t.Fatal("a write after the file went was taken")
	}
	saved := savedBeside(t, path)
	if len(saved) != 1 {
		t.Fatalf("saved %q, want one file", saved)
	}
	if fi, err := os.Stat(saved[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the save %s is made %v (%v), want 0600", saved[0], fi.Mode().Perm(), err)
	}

	// A file that exists keeps the mode it has.
	other := filepath.Join(dir, "shared.db")
	if err := os.WriteFile(other, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, other, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if fi, err := os.Stat(other); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("an existing file's mode was changed: %v (%v), want 0640", fi.Mode().Perm(), err)
	}
}
