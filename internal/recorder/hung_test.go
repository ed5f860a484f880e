package recorder

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	qp "qwenproxy"
)

// hungWriter is a database that takes a connection and never answers (a
// network partition, a server frozen): a write ends only with its context.
type hungWriter struct{ entered chan struct{} }

func (w *hungWriter) WriteBatch(ctx context.Context, _ qp.Batch) error {
	select {
	case w.entered <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return fmt.Errorf("write batch: %w", ctx.Err())
}

// A stop while the database hung: the write in the writer's hands went on
// for its own 30 seconds after Close's deadline, with more retries behind
// it, so Close reported "records still queued at shutdown deadline" (the
// server exited 1, its stop took a minute more than the deadline) while the
// spool could have taken them at once. At the deadline the write is
// abandoned and every record goes to the spool: nothing is lost, Close
// reports nothing lost, and the next start replays them.
func TestAStopWhileTheDatabaseHangsSpoolsAtTheDeadline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.spool")
	w := &hungWriter{entered: make(chan struct{}, 1)}
	r := mustNew(t, w, quiet, Options{SpoolPath: path, Linger: -1, BatchSize: 2})
	for i := range 5 {
		r.Record(ex(i))
	}
	<-w.entered // the writer is stuck in the database
	deadline, cancel := context.WithCancel(context.Background())
	cancel() // the stop's deadline has passed
	if err := r.Close(deadline); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if st := r.Stats(); st.Spooled != 5 || st.Dropped != 0 || st.Held != 0 {
		t.Fatalf("after the deadline: %+v", st)
	}
	up := &memWriter{}
	next := mustNew(t, up, quiet, Options{SpoolPath: path})
	if err := next.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ids := up.ids(); len(ids) != 5 {
		t.Fatalf("replayed at the next start: %v", ids)
	}
	next.Close(context.Background())
}

// countingHungWriter is hungWriter counting its attempts.
type countingHungWriter struct {
	mu       sync.Mutex
	attempts int
}

func (w *countingHungWriter) WriteBatch(ctx context.Context, _ qp.Batch) error {
	w.mu.Lock()
	w.attempts++
	w.mu.Unlock()
	<-ctx.Done()
	return fmt.Errorf("write batch: %w", ctx.Err())
}

// A batch the database did not answer within the write's bound was tried
// three times more, each waiting as long, so with RECORDER_SYNC=true every
// answer waited for its record about two minutes when PostgreSQL hung (the
// network to it paused). A database that does not answer is not retried at
// once: the batch goes to the spool after one attempt.
func TestABatchTheDatabaseDoesNotAnswerIsSpooledWithoutRetries(t *testing.T) {
	w := &countingHungWriter{}
	r := mustNew(t, w, quiet, Options{SpoolPath: filepath.Join(t.TempDir(), "db.spool"), Linger: -1, WriteRetries: 3, WriteTimeout: 50 * time.Millisecond})
	defer r.Close(context.Background())
	if err := r.Commit(context.Background(), ex(1)); err != nil {
		t.Fatalf("commit: %v", err)
	}
	w.mu.Lock()
	attempts := w.attempts
	w.mu.Unlock()
	if st := r.Stats(); st.Spooled != 1 || attempts != 1 {
		t.Fatalf("%d attempts, stats %+v; want one attempt, then the spool", attempts, st)
	}
}
