package recorder

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync/atomic"
	"testing"

	qp "qwenproxy"
	"qwenproxy/internal/store"
	"qwenproxy/internal/store/sqlite"
	"qwenproxy/internal/store/storetest"
)

// countingWriter counts the writes it passes on.
type countingWriter struct {
	qp.BatchWriter
	writes atomic.Int32
}

func (w *countingWriter) WriteBatch(ctx context.Context, b qp.Batch) error {
	w.writes.Add(1)
	return w.BatchWriter.WriteBatch(ctx, b)
}

// A SQLite file another process held locked made each of a batch's four
// tries wait the busy timeout, so with RECORDER_SYNC=true every answer
// waited four times DATABASE_BUSY_TIMEOUT and the backoff between (~27 s
// by default) before the spool took its record. The lock was already
// waited for: the batch goes to the spool after one try, and is written
// once the lock is gone.
func TestABatchMeetingALockedDatabaseIsSpooledWithoutRetries(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	st := storetest.OpenWith(t, path, store.Options{SQLite: sqlite.Options{BusyTimeoutMS: 20}})
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}

	w := &countingWriter{BatchWriter: st}
	r := mustNew(t, w, quiet, Options{SpoolPath: path + ".spool", Linger: -1, WriteRetries: 3})
	defer r.Close(ctx)
	if err := r.Commit(ctx, ex(1)); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if s := r.Stats(); s.Spooled != 1 || w.writes.Load() != 1 {
		t.Fatalf("%d tries, stats %+v; want one try, then the spool", w.writes.Load(), s)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if s := r.Stats(); s.SpoolBytes != 0 || s.Replayed != 1 {
		t.Fatalf("after the lock: %+v", s)
	}
}

// A database a newer version migrated stays so until that version takes
// this one's place: each batch was tried four times with a backoff between
// (0.7 s, and with RECORDER_SYNC=true each answer waited it) before the
// spool took it. It goes to the spool after one try.
func TestABatchRefusedForANewerSchemaIsSpooledWithoutRetries(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	st := storetest.Open(t, path)
	if _, err := st.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_the_future', 0)`); err != nil {
		t.Fatal(err)
	}
	w := &countingWriter{BatchWriter: st}
	r := mustNew(t, w, quiet, Options{SpoolPath: path + ".spool", Linger: -1, WriteRetries: 3})
	defer r.Close(ctx)
	if err := r.Commit(ctx, ex(1)); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if s := r.Stats(); s.Spooled != 1 || s.Written != 0 || w.writes.Load() != 1 {
		t.Fatalf("%d tries, stats %+v; want one try, then the spool", w.writes.Load(), s)
	}
}
