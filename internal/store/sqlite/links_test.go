package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A database file with another name (a hard link) is refused: SQLite keeps
// the -wal and -shm beside the name it is opened by, so a server and a
// process opening the file by the other name wrote two WALs into one file
// and corrupted it. Nothing is made beside the refused name.
func TestAFileWithAnotherNameIsRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	openMigrated(t, path)
	other := filepath.Join(dir, "other.db")
	if err := os.Link(path, other); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, other} {
		s, err := Open(ctx, name, Options{})
		if err == nil {
			s.Close()
			t.Fatalf("opened %s, a file with two names", name)
		}
		if !strings.Contains(err.Error(), "hard link") {
			t.Errorf("open %s: %v, want it to name the hard link", name, err)
		}
		if _, err := os.Stat(name + "-wal"); err == nil {
			t.Errorf("a refused open made %s-wal", name)
		}
	}
	// Once it has one name again, it opens.
	if err := os.Remove(other); err != nil {
		t.Fatal(err)
	}
	openMigrated(t, path)
}
