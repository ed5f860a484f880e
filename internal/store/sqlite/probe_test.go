package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/store/sqlstore"
)

// GET /health/ready and /health/detailed checked a SQLite file deleted
// under the server on the request path: the guard's checkpoint and its save
// of the calls the file held — minutes on a large history, more than a
// probe's timeout — ran before the probe answered, as /health no longer
// does (Notice). Probe answers at once, the check and the save running in
// the background, and a later probe says what they found.
func TestProbeDoesNotWaitForTheSave(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	// The reader keeps the guard's checkpoint (TRUNCATE) waiting, up to the
	// busy timeout, before the save can begin.
	s, tx := oneCallBesideAReader(ctx, t, path)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	err := s.Probe(ctx)
	saved := savedBeside(t, path)
	tx.Rollback() // the background check goes on
	if err == nil || len(saved) != 0 {
		t.Fatalf("a probe with the file deleted: %v, saved %q; want it refused at once, the save left to the background", err, saved)
	}
	s.Noticed()
	saved = savedBeside(t, path)
	if len(saved) != 1 {
		t.Fatalf("saved after the background check: %q, want one", saved)
	}
	if err := s.Probe(ctx); !errors.Is(err, ErrFileGone) || !strings.Contains(err.Error(), saved[0]) {
		t.Fatalf("a later probe: %v, want ErrFileGone naming %s", err, saved[0])
	}
}

// Only the -wal and -shm deleted, the first probe, answered while the
// background check waited, said "the database file was deleted or
// replaced … the calls it held saved": no file was deleted and nothing was
// to be saved, which the check's own verdict said a moment later. The
// first answer names what moved.
func TestAProbeWhileTheCheckRunsNamesTheJournalThatWent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	// The reader keeps the background check in its checkpoint until the
	// first answer is given.
	s, tx := oneCallBesideAReader(ctx, t, path)
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil {
			t.Fatal(err)
		}
	}
	first := s.Probe(ctx)
	tx.Rollback()
	s.Noticed()
	if !errors.Is(first, ErrJournalGone) || !strings.Contains(first.Error(), path+"-wal") ||
		errors.Is(first, ErrFileGone) || strings.Contains(first.Error(), "saved") {
		t.Fatalf("the first probe with the -wal and -shm deleted: %v; want ErrJournalGone naming %s-wal, no file deleted, nothing saved", first, path)
	}
	if err := s.Probe(ctx); !errors.Is(err, ErrJournalGone) {
		t.Fatalf("a later probe: %v, want ErrJournalGone", err)
	}
}

// oneCallBesideAReader opens a migrated store at path (closed when the test
// ends), writes one call, and begins a read transaction that has read it:
// a reader on a snapshot the WAL holds, which keeps a checkpoint (TRUNCATE)
// waiting, up to the busy timeout, until the test rolls it back.
func oneCallBesideAReader(ctx context.Context, t *testing.T, path string) (*sqlstore.Store, *sql.Tx) {
	t.Helper()
	openMigrated(t, path)
	s, err := Open(ctx, path, Options{BusyTimeoutMS: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.WriteBatch(ctx, oneCall("held")); err != nil {
		t.Fatal(err)
	}
	tx, err := s.DB().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM requests`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("reader: %d %v", n, err)
	}
	return s, tx
}
