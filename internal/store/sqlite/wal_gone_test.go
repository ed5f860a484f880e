package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/store/sqlstore"
)

// A file whose -wal was deleted while a store held it, its -shm left, is
// refused by every later open (to write or only to read), which makes
// nothing beside it: the -shm's index describes the WAL only the holder
// sees, and a new -wal under it mixed two databases. Once the holder is
// closed (its -shm gone), the file opens.
func TestAFileWhoseWALWasDeletedUnderAStoreIsRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	openMigrated(t, path)
	held, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := held.WriteBatch(ctx, oneCall("held")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path + "-wal"); err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func() error{
		"Open":         func() error { s, err := Open(ctx, path, Options{}); closeIf(s); return err },
		"OpenReadOnly": func() error { s, err := OpenReadOnly(ctx, path, Options{}); closeIf(s); return err },
	} {
		err := open()
		if !errors.Is(err, ErrWALGone) || !strings.Contains(err.Error(), "move "+path+"-shm away") {
			t.Fatalf("%s of a file whose -wal was deleted under a store: %v, want ErrWALGone saying what to do", name, err)
		}
		if _, err := os.Lstat(path + "-wal"); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the refused %s made a -wal: %v", name, err)
		}
	}
	held.Close()
	if _, err := os.Lstat(path + "-shm"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the closed store left its -shm: %v", err)
	}
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("open once the store that held the file closed: %v", err)
	}
	s.Close()
}

// closeIf closes s, if an open returned one.
func closeIf(s *sqlstore.Store) {
	if s != nil {
		s.Close()
	}
}
