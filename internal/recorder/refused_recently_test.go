package recorder

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	qp "qwenproxy"
)

// With RECORDER_SYNC a caller waits for its record to be committed or
// spooled. While another process holds the database's lock each try of the
// database waits out its busy timeout (DATABASE_BUSY_TIMEOUT, 5 s), and a
// caller's batch tried it twice — the spool's replay first, then the batch
// itself — after the idle retry's try it had queued behind: 10–20 s a call
// where the README promises the timeout once. A database that refused a
// write within the retry interval is not tried by the next batches: they go
// to the spool behind what it holds, at once, and the idle retry (or a
// Sync) tries the database again; everything reaches it, in order, once it
// takes writes.
func TestABatchDoesNotTryADatabaseThatJustRefused(t *testing.T) {
	w := &batchWriter{down: true, err: fmt.Errorf("write: %w", qp.ErrDatabaseBusy)}
	r := mustNew(t, w, quiet, Options{SpoolPath: filepath.Join(t.TempDir(), "db.spool"), Linger: -1, RetryEvery: time.Hour})
	defer r.Close(context.Background())
	ctx := context.Background()
	tries := func() int {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.tries
	}
	for i := range 4 {
		if err := r.Commit(ctx, ex(i)); err != nil {
			t.Fatalf("commit %d: %v, want it spooled (durable)", i, err)
		}
		if n := tries(); n != 1 {
			t.Fatalf("after commit %d the database was tried %d times, want once: the first batch's try", i, n)
		}
	}
	if st := r.Stats(); st.Spooled != 4 || st.Written != 0 {
		t.Errorf("stats %+v, want 4 spooled", st)
	}
	w.mu.Lock()
	w.down = false
	w.mu.Unlock()
	if err := r.Sync(ctx); err != nil { // tries the database, as the retry would
		t.Fatal(err)
	}
	if got := fmt.Sprint(w.ids()); got != "[0 1 2 3]" {
		t.Errorf("written %s, want [0 1 2 3]", got)
	}
}

// ids are the calls written, in order.
func (w *batchWriter) ids() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ids []string
	for _, b := range w.batches {
		for _, e := range b.Exchanges {
			ids = append(ids, e.Request.RequestID)
		}
	}
	return ids
}
