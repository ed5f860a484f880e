package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
)

// saveOf makes beside path (no file there) the save of a history holding
// a key and two calls, as a server leaves it, and returns the save.
func saveOf(t *testing.T, path string) string {
	t.Helper()
	ctx := context.Background()
	made := filepath.Join(t.TempDir(), "made.db")
	openMigrated(t, made)
	s, err := Open(ctx, made, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if err := s.WriteBatch(ctx, oneCall(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddAPIKey(ctx, qp.APIKey{ID: "k", Name: "saved", Hash: "h", Admin: true, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // the last connection: the WAL is checkpointed into the file
		t.Fatal(err)
	}
	saved := path + SavedInfix + "20261207T080000Z"
	if err := os.Rename(made, saved); err != nil {
		t.Fatal(err)
	}
	return saved
}

// Whatever opens the path first after a server's file was deleted — serve
// or any command — makes the file anew; the settings and id floors of the
// save beside it were brought in by serve alone, and a command's file
// left the next server without the saved keys and giving the saved calls'
// ids again. The Open that makes the file brings them in, and says what it
// brought; one of a file that is there brings in nothing.
func TestOpenMakingTheFileBesideASaveBringsItsSettingsIn(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	saved := saveOf(t, path)
	var heard []RestoredSave
	s, err := Open(ctx, path, Options{Restored: func(r RestoredSave) { heard = append(heard, r) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	keys, err := s.APIKeys(ctx)
	if err != nil || len(keys) != 1 || keys[0].ID != "k" || !keys[0].Admin {
		t.Fatalf("keys of the file made beside the save: %+v %v", keys, err)
	}
	if err := s.WriteBatch(ctx, oneCall("c")); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := s.DB().QueryRowContext(ctx, `SELECT id FROM requests WHERE request_id = 'c'`).Scan(&id); err != nil || id <= 2 {
		t.Fatalf("the first call of the new file has id %d (%v), given in the save already", id, err)
	}
	s.Close()
	if len(heard) != 1 || heard[0].From != saved || heard[0].Keys != 1 || heard[0].Floors["requests"] != 2 || heard[0].Migrations == 0 {
		t.Fatalf("heard %+v, want one restore of %s: 1 key, requests after 2, the migrations applied", heard, saved)
	}
	if !strings.Contains(heard[0].String(), "qwenproxy copy --from sqlite:"+saved+" --to sqlite:"+path) {
		t.Fatalf("what is said does not name the copy of the calls: %s", heard[0])
	}

	// Opened again, the file is there: nothing more is brought.
	s, err = Open(ctx, path, Options{Restored: func(r RestoredSave) { heard = append(heard, r) }})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if len(heard) != 1 {
		t.Fatalf("an open of the existing file brought the save in again: %+v", heard)
	}
}

// The save a copy copies whole into the file it makes is not brought in
// first: the copy brings its keys and floors, and a save of an older
// schema (which copy reads) would be refused.
func TestOpenLeavesTheSaveCopiedToTheCopy(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	saved := saveOf(t, path)
	s, err := Open(ctx, path, Options{Copying: saved, Restored: func(r RestoredSave) { t.Errorf("brought in %+v", r) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if keys, err := s.APIKeys(ctx); err != nil || len(keys) != 0 {
		t.Fatalf("keys: %+v %v, want none until the copy", keys, err)
	}
}

// A save that cannot be read fails the Open that would make the file, as
// it fails serve's start: nothing is made (a file without its keys would
// serve open), and the error names the save and what to do.
func TestOpenRefusesASaveItCannotRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	saved := path + SavedInfix + "20261207T080000Z"
	if err := os.WriteFile(saved, []byte("not a database, but as long as a SQLite header would be: 0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, path, Options{})
	if err == nil || !strings.Contains(err.Error(), "qwenproxy copy --from sqlite:"+saved+" --to sqlite:"+path) || !strings.Contains(err.Error(), "move "+saved) {
		t.Fatalf("open beside a save it cannot read: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("the refused open left files beside the save: %v", entries)
	}
}
