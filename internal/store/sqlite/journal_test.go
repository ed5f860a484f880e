package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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
