package historyapi

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	qp "qwenproxy"
)

// slowQueue is a recorder whose queue takes after before it is written
// (a commit on a loaded machine), or is never written (after 0), and
// whose record is in the database once it is.
type slowQueue struct {
	after   time.Duration
	written atomic.Bool
}

func (q *slowQueue) Sync(ctx context.Context) error {
	if q.after == 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	select {
	case <-time.After(q.after):
		q.written.Store(true)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (q *slowQueue) InDatabase(ctx context.Context) error { return q.Sync(ctx) }

func (q *slowQueue) read(context.Context) (string, error) {
	if q.written.Load() {
		return "the record", nil
	}
	return "", qp.ErrNotFound
}

// A record still queued when its id is read is found once the queue is
// written, also when writing it takes longer than a list read waits
// (QueueWait): a response a client was just given was a 404 on a loaded
// machine whose commit took over a second.
func TestRecentFindsARecordWhoseWriteOutlastsAListsWait(t *testing.T) {
	q := &slowQueue{after: QueueWait + 300*time.Millisecond}
	v, err := Recent(context.Background(), q, q.read)
	if err != nil || v != "the record" {
		t.Fatalf("Recent = %q, %v; want the record", v, err)
	}
}

// A queue not written in time may hold the record: that is no answer
// that it does not exist (404), but the store's failure (503).
func TestRecentDoesNotCallAQueuedRecordMissing(t *testing.T) {
	q := &slowQueue{}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := Recent(ctx, q, q.read)
	if errors.Is(err, qp.ErrNotFound) || !errors.Is(err, qp.ErrStoreUnavailable) {
		t.Fatalf("Recent with its queue unwritten: %v; want qp.ErrStoreUnavailable", err)
	}
}

// heldQueue is a recorder whose writer placed the records queued before a
// read in the spool or in memory: the database refuses them.
type heldQueue struct{}

func (heldQueue) Sync(context.Context) error { return nil }
func (heldQueue) InDatabase(context.Context) error {
	return errors.New("records are held in memory or spooled, not in the database yet")
}

// A record not found while the records queued before the read are held or
// spooled may be among them: a 503 at once, not a 404 (until 2026-12-07 a
// record placed there counted as written, and the read answered "not
// found").
func TestRecentDoesNotCallAHeldRecordMissing(t *testing.T) {
	read := func(context.Context) (string, error) { return "", qp.ErrNotFound }
	start := time.Now()
	_, err := Recent(context.Background(), heldQueue{}, read)
	if errors.Is(err, qp.ErrNotFound) || !errors.Is(err, qp.ErrStoreUnavailable) {
		t.Fatalf("Recent with its queue held: %v; want qp.ErrStoreUnavailable", err)
	}
	if took := time.Since(start); took >= RecentWait {
		t.Errorf("Recent with its queue held took %s: the writer already said where the records are", took)
	}
}
