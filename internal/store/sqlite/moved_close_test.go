package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A database file moved away (mv on the same file system) under a running
// server keeps its calls under its new name, but SQLite neither checkpoints
// nor removes the WAL of a file whose name moved: the server's stop left
// the (checkpointed, empty) -wal and the -shm at the old path, and the
// restart README promises ("creates a new one, into which the spool is
// replayed") was refused as if a server still held a deleted file. The
// stop now checkpoints the whole WAL into the moved file and removes the
// journals it held, so the path opens anew and the moved file is whole.
func TestAMovedFileLeavesNoJournalsAtItsPathOnClose(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	moved := filepath.Join(dir, "away.db")
	openMigrated(t, path)
	s, err := Open(ctx, path, Options{Serving: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"before 1", "before 2"} {
		if err := s.WriteBatch(ctx, oneCall(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(path, moved); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatch(ctx, oneCall("after")); !errors.Is(err, ErrFileGone) {
		t.Fatalf("a write after the move: %v, want ErrFileGone", err)
	}
	s.Close()

	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Lstat(path + suffix); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left at the old path after the stop: %v", suffix, err)
		}
	}
	if err := Orphaned(path); err != nil {
		t.Fatalf("the path after the stop: %v, want it to open anew", err)
	}
	fresh, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("open anew at the path: %v", err)
	}
	fresh.Close()
	away, err := Open(ctx, moved, Options{})
	if err != nil {
		t.Fatalf("open the moved file: %v", err)
	}
	defer away.Close()
	if n := requestCount(t, away.DB()); n != 2 {
		t.Errorf("the moved file holds %d calls, want the 2 committed before the move", n)
	}
}
