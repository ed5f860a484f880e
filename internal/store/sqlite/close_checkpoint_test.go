package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A store closing checkpoints its WAL into the file and removes it, which
// makes the file alone a backup (README, Backups). One it cannot complete —
// a reader on an older snapshot here, a full disk in cmd/qwenproxy's
// durability test — left the -wal holding the latest calls and the close
// said nothing: the file alone was taken for whole, and a `cp` of it lacked
// them or was malformed. The close says so, names the -wal to keep beside
// the file, and the next close with nothing in the way completes it.
func TestACloseThatCannotCheckpointSaysTheWALMustStay(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	openMigrated(t, path)
	s, err := Open(ctx, path, Options{BusyTimeoutMS: 50, Serving: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatch(ctx, oneCall("before")); err != nil {
		t.Fatal(err)
	}
	// Another process's reader, on the snapshot before the next call.
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	reader, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reader.ExecContext(ctx, `BEGIN`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM requests`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatch(ctx, oneCall("after")); err != nil {
		t.Fatal(err)
	}
	// A command's store beside it (a server's reader, most often) neither
	// waits for it nor speaks of a WAL that is the server's to complete.
	cmd, err := Open(ctx, path, Options{BusyTimeoutMS: 50})
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.WriteBatch(ctx, oneCall("command")); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("a command's close beside a reader: %v", err)
	}
	err = s.Close()
	if !errors.Is(err, ErrWALKept) {
		t.Fatalf("close with the WAL not checkpointed: %v, want ErrWALKept", err)
	}
	for _, says := range []string{path + "-wal", "not whole", "copy both", "busy"} {
		if !strings.Contains(err.Error(), says) {
			t.Errorf("the close's error does not say %q: %v", says, err)
		}
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("the -wal the close said it kept: %v", err)
	}
	// The file alone, as a cp of it would be, lacks the last call.
	alone := filepath.Join(t.TempDir(), "alone.db")
	copyFile(t, path, alone)
	if ids := requestIDsIn(t, alone); slices.Contains(ids, "after") {
		t.Fatalf("the file alone holds %v: the warning was not needed", ids)
	}
	reader.ExecContext(ctx, `ROLLBACK`)
	reader.Close()
	other.Close()

	// Nothing in the way: the next close completes it, and says nothing.
	s, err = Open(ctx, path, Options{BusyTimeoutMS: 50, Serving: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close with the WAL checkpointed: %v", err)
	}
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the -wal after a close that checkpointed it: %v", err)
	}
	copyFile(t, path, alone)
	if ids := requestIDsIn(t, alone); !slices.Contains(ids, "after") || !slices.Contains(ids, "before") {
		t.Fatalf("the file alone after the checkpoint holds %v", ids)
	}
}

// copyFile copies the file at from to to, as cp does.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
