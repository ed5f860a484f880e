package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/store/sqlstore"
)

// A database file deleted under a running server leaves its -wal and -shm
// at their names. Open on the path (any CLI command's) made a new empty
// file and SQLite took them for its own: the command's writes went into the
// server's WAL, the server then read the new file's empty history, and
// after its restart the command's change was nowhere. Now the open is
// refused, saying what happened and what to do, and makes or touches
// nothing; the server's store reads its calls as before.
func TestAPathWhoseFileWentWhileItsWALStaysIsRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	openMigrated(t, path)
	server, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	for _, id := range []string{"hi 1", "hi 2", "hi 3"} {
		if err := server.WriteBatch(ctx, oneCall(id)); err != nil {
			t.Fatal(err)
		}
	}
	// Read once before: the read pool keeps that connection, as a serving
	// server's does (a connection opened after the delete finds no file).
	if n := requestCount(t, server.DB()); n != 3 {
		t.Fatalf("%d calls stored, want 3", n)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	// The server notices and saves the calls beside the path, which the
	// refusal then names.
	server.Check(ctx)
	saved := savedBeside(t, path)
	if len(saved) != 1 {
		t.Fatalf("files saved beside %s: %q, want one", path, saved)
	}
	journals := map[string][]byte{}
	for _, name := range []string{path + "-wal", path + "-shm"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("the server's journal: %v", err)
		}
		journals[name] = b
	}

	_, err = Open(ctx, path, Options{})
	if !errors.Is(err, ErrJournalsWithoutFile) {
		t.Fatalf("open with the file gone and its -wal left: %v, want ErrJournalsWithoutFile", err)
	}
	for _, want := range []string{path, path + "-wal", "deleted or moved", saved[0], "Stop that server",
		"qwenproxy copy --from sqlite:SAVED --to sqlite:" + path, "move " + path + "-wal and " + path + "-shm away"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %v", want, err)
		}
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused open made a file at %s: %v", path, err)
	}
	for name, before := range journals {
		if after, err := os.ReadFile(name); err != nil || !bytes.Equal(before, after) {
			t.Errorf("the refused open changed %s (%d bytes before, %d after, %v)", name, len(before), len(after), err)
		}
	}
	if n := requestCount(t, server.DB()); n != 3 {
		t.Errorf("the server's store reads %d calls after the refused open, want its 3", n)
	}
}

// requestCount is how many calls db reads.
func requestCount(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM requests`).Scan(&n); err != nil {
		t.Fatalf("count the calls: %v", err)
	}
	return n
}

// A path with a file, or with neither file nor journals, opens as before.
func TestOrphanedIsNilWithAFileOrWithoutJournals(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "h.db")
	if err := Orphaned(path); err != nil {
		t.Errorf("nothing at the path: %v", err)
	}
	if err := os.Mkdir(path+"-wal", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Orphaned(path); err != nil {
		t.Errorf("a directory named as the -wal: %v", err)
	}
	openMigrated(t, filepath.Join(dir, "other.db"))
	if err := Orphaned(filepath.Join(dir, "other.db")); err != nil {
		t.Errorf("a database file: %v", err)
	}
	if err := Orphaned(":memory:"); err != nil {
		t.Errorf(":memory:: %v", err)
	}
}

// A store whose file was deleted under it, its calls saved, removes at its
// close the -wal and -shm it held: SQLite leaves a nameless file's WAL
// behind, and every later open of the path was refused (Orphaned) until
// they were moved away by hand — the advised restart too. The path then
// opens as a new file. So does a file moved away: its calls are in it
// under the new name (nothing saved), its WAL checkpointed into it as the
// store closed; until 2026-12-07 its journals stayed and the restart was
// refused.
func TestAStoreClosedAfterItsFileWasDeletedRemovesItsJournals(t *testing.T) {
	ctx := context.Background()
	opened := func(path string) *sqlstore.Store {
		t.Helper()
		openMigrated(t, path)
		s, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.WriteBatch(ctx, oneCall("hi")); err != nil {
			t.Fatal(err)
		}
		return s
	}
	present := func(name string) bool { _, err := os.Lstat(name); return err == nil }

	path := filepath.Join(t.TempDir(), "h.db")
	s := opened(path)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	s.Check(ctx)
	if len(savedBeside(t, path)) != 1 {
		t.Fatalf("no save beside %s", path)
	}
	s.Close()
	for _, name := range []string{path + "-wal", path + "-shm"} {
		if present(name) {
			t.Errorf("the closed store left %s", name)
		}
	}
	again, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("the path after the store closed: %v", err)
	}
	again.Close()

	moved := filepath.Join(t.TempDir(), "m.db")
	s = opened(moved)
	if err := os.Rename(moved, moved+".away"); err != nil {
		t.Fatal(err)
	}
	s.Check(ctx)
	s.Close()
	// Its whole WAL is in it under its new name (the close's checkpoint):
	// the journals go too, nothing is saved, and the path opens anew.
	if present(moved+"-wal") || present(moved+"-shm") || len(savedBeside(t, moved)) != 0 {
		t.Errorf("a store whose file was moved away left its -wal (%v) or -shm (%v), or saved it", present(moved+"-wal"), present(moved+"-shm"))
	}
}
