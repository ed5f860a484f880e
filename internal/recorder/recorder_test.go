package recorder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/logtest"
)

// memWriter records batches; gate, when set, blocks each write until a value
// arrives; fail makes the next writes fail.
type memWriter struct {
	mu      sync.Mutex
	batches [][]qp.Exchange
	gate    chan struct{}
	fail    int
}

func (w *memWriter) WriteBatch(_ context.Context, batch qp.Batch) error {
	b := batch.Exchanges
	if w.gate != nil {
		<-w.gate
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail > 0 {
		w.fail--
		return errors.New("disk says no")
	}
	w.batches = append(w.batches, append([]qp.Exchange(nil), b...))
	return nil
}

func (w *memWriter) ids() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ids []string
	for _, b := range w.batches {
		for _, e := range b {
			ids = append(ids, e.Request.RequestID)
		}
	}
	return ids
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func ex(i int) qp.Exchange { return qp.Exchange{Request: qp.Request{RequestID: fmt.Sprint(i)}} }

func TestRecordsAreBatchedInOrderAndDrainedOnClose(t *testing.T) {
	w := &memWriter{gate: make(chan struct{})}
	r := mustNew(t, w, quiet, Options{QueueSize: 1000, BatchSize: 50})
	for i := range 200 {
		if !r.Record(ex(i)) {
			t.Fatalf("record %d refused", i)
		}
	}
	close(w.gate) // the writer was held on its first batch: the rest queued up
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	ids := w.ids()
	if len(ids) != 200 {
		t.Fatalf("%d records written", len(ids))
	}
	for i, id := range ids {
		if id != fmt.Sprint(i) {
			t.Fatalf("record %d is %s: out of order", i, id)
		}
	}
	if len(w.batches) > 1+200/50+1 || len(w.batches) < 200/50 {
		t.Fatalf("%d batches for 200 records of batch size 50", len(w.batches))
	}
	if st := r.Stats(); st.Written != 200 || st.Dropped != 0 || st.Spooled != 0 {
		t.Fatalf("stats %+v", st)
	}
	if r.Record(ex(999)) || r.Stats().Dropped != 1 {
		t.Fatal("a closed recorder accepted a record")
	}
}

func TestFullQueueNeverBlocksAndKeepsRecordsInMemoryWithoutASpool(t *testing.T) {
	w := &memWriter{gate: make(chan struct{})}
	r := mustNew(t, w, quiet, Options{QueueSize: 2, BatchSize: 1})
	done := make(chan struct{})
	go func() {
		for i := range 10 {
			if !r.Record(ex(i)) {
				t.Errorf("record %d dropped", i)
			}
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Record blocked on a full queue")
	}
	if r.Stats().Held == 0 {
		t.Fatalf("a full queue without a spool held nothing in memory: %+v", r.Stats())
	}
	close(w.gate)
	r.Close(context.Background())
	if st := r.Stats(); st.Dropped != 0 || st.Written != 10 || st.Held != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestFailedBatchesAreRetriedThenHeldThenDroppedAtTheDeadline(t *testing.T) {
	w := &memWriter{fail: 2}
	r := mustNew(t, w, quiet, Options{RetryDelay: time.Millisecond})
	r.Record(ex(1))
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.Written != 1 || st.Dropped != 0 {
		t.Fatalf("stats %+v", st)
	}
	// Without a spool, a batch the database does not take waits in memory.
	w.mu.Lock()
	w.fail = 1 << 30
	w.mu.Unlock()
	r.Record(ex(2))
	r.Sync(context.Background())
	if st := r.Stats(); st.Dropped != 0 || st.Held != 1 || r.Durable() {
		t.Fatalf("stats %+v after a batch that does not commit", st)
	}
	// Still held when Close gives up: dropped, and counted.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Close(ctx); err == nil {
		t.Fatal("Close reported nothing lost")
	}
	if st := r.Stats(); st.Dropped != 1 || st.Held != 0 {
		t.Fatalf("stats %+v after the deadline", st)
	}
}

func TestSpoolKeepsWhatTheDatabaseRefusesAndReplaysItInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.spool")
	w := &memWriter{fail: 1000}
	r := mustNew(t, w, quiet, Options{RetryDelay: time.Millisecond, WriteRetries: 1, SpoolPath: path, QueueSize: 4, BatchSize: 2})
	for i := range 20 {
		if !r.Record(ex(i)) {
			t.Fatalf("record %d lost", i)
		}
	}
	r.Sync(context.Background())
	if st := r.Stats(); st.Written != 0 || st.Spooled != 20 || st.SpoolBytes == 0 || st.Dropped != 0 {
		t.Fatalf("while the database refuses: %+v", st)
	}
	// The database is back: the spool goes in first, in order.
	w.mu.Lock()
	w.fail = 0
	w.mu.Unlock()
	r.Record(ex(20))
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Every record exactly once. (Handlers spool directly when the queue is
	// full while the writer spools refused batches, so the spool's order is
	// not the calls' order; replay keeps the spool's.)
	ids := w.ids()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("%s written twice: %v", id, ids)
		}
		seen[id] = true
	}
	if len(seen) != 21 {
		t.Fatalf("%d written: %v", len(ids), ids)
	}
	if st := r.Stats(); st.SpoolBytes != 0 || st.Replayed != 20 {
		t.Fatalf("after replay: %+v", st)
	}
	r.Close(context.Background())
}

func TestSpoolSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not", "made", "yet", "db.spool") // its directory is created
	down := &memWriter{fail: 1000}
	r := mustNew(t, down, quiet, Options{RetryDelay: time.Millisecond, WriteRetries: 0, SpoolPath: path})
	for i := range 5 {
		r.Record(ex(i))
	}
	r.Close(context.Background()) // the database never came back in this run
	if st := r.Stats(); st.Spooled != 5 {
		t.Fatalf("stats %+v", st)
	}
	up := &memWriter{}
	r2 := mustNew(t, up, quiet, Options{SpoolPath: path})
	if err := r2.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ids := up.ids(); len(ids) != 5 || ids[0] != "0" || ids[4] != "4" {
		t.Fatalf("replayed at start: %v", ids)
	}
	r2.Close(context.Background())
}

func TestFullQueueSpoolsInsteadOfDropping(t *testing.T) {
	w := &memWriter{gate: make(chan struct{})}
	r := mustNew(t, w, quiet, Options{QueueSize: 1, BatchSize: 1, SpoolPath: filepath.Join(t.TempDir(), "s")})
	for i := range 10 {
		if !r.Record(ex(i)) {
			t.Fatalf("record %d lost", i)
		}
	}
	close(w.gate)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.Close(context.Background())
	if st := r.Stats(); len(w.ids()) != 10 || st.Dropped != 0 || st.Spooled == 0 {
		t.Fatalf("written %d, stats %+v", len(w.ids()), st)
	}
}

func TestSyncWaitsForEarlierRecords(t *testing.T) {
	w := &memWriter{}
	r := mustNew(t, w, quiet, Options{})
	defer r.Close(context.Background())
	for i := range 10 {
		r.Record(ex(i))
	}
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(w.ids()); n != 10 {
		t.Fatalf("%d records written at Sync", n)
	}
}

// sessionWriter records the batches it is given, whole.
type sessionWriter struct {
	mu      sync.Mutex
	batches []qp.Batch
}

func (w *sessionWriter) WriteBatch(_ context.Context, b qp.Batch) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.batches = append(w.batches, qp.Batch{Sessions: append([]qp.Session(nil), b.Sessions...), Exchanges: append([]qp.Exchange(nil), b.Exchanges...)})
	return nil
}

func TestSessionStateIsWrittenWithOrBeforeItsCalls(t *testing.T) {
	w := &sessionWriter{}
	r := mustNew(t, w, quiet, Options{BatchSize: 100})
	r.SaveSession(qp.Session{ID: "s", MessageCount: 0})
	r.SaveSession(qp.Session{ID: "s", MessageCount: 1})
	r.Record(qp.Exchange{Request: qp.Request{RequestID: "1", SessionID: "s"}})
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var sessions []qp.Session
	seenCall := false
	for _, b := range w.batches {
		if len(b.Sessions) > 0 && seenCall {
			t.Fatal("a session state was written after a call that names it")
		}
		sessions = append(sessions, b.Sessions...)
		seenCall = seenCall || len(b.Exchanges) > 0
	}
	if last := sessions[len(sessions)-1]; last.MessageCount != 1 || !seenCall {
		t.Fatalf("last session state %+v, call written %v", last, seenCall)
	}
	for _, b := range w.batches {
		ids := map[string]bool{}
		for _, s := range b.Sessions {
			if ids[s.ID] {
				t.Fatal("one batch wrote a session twice")
			}
			ids[s.ID] = true
		}
	}
}

func mustNew(t *testing.T, w qp.BatchWriter, log *slog.Logger, opt Options) *Recorder {
	t.Helper()
	r, err := New(w, log, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The writer lingers for company only while nobody waits: a caller of
// Commit or Sync, or a full batch, ends the linger at once; so does Close.
// With a linger of an hour, each of these would otherwise hang the test.
func TestLingerNeverHoldsWhoWaits(t *testing.T) {
	w := &memWriter{}
	commits := make(chan int, 16)
	r := mustNew(t, w, quiet, Options{BatchSize: 3, Linger: time.Hour, OnCommit: func(n int, _ time.Duration) { commits <- n }})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	r.Record(ex(1)) // the writer takes it and lingers
	if err := r.Commit(ctx, ex(2)); err != nil {
		t.Fatalf("Commit behind a lingering writer: %v", err)
	}
	if got := <-commits; got != 2 {
		t.Fatalf("the waiter's commit held %d records, want 2 (the lingering one shares it)", got)
	}

	r.Record(ex(3))
	if err := r.Sync(ctx); err != nil {
		t.Fatalf("Sync behind a lingering writer: %v", err)
	}
	if got := <-commits; got != 1 {
		t.Fatalf("Sync's commit held %d records, want 1", got)
	}

	for i := 4; i < 7; i++ { // a whole batch: written without waiting out the hour
		r.Record(ex(i))
	}
	if got := <-commits; got != 3 {
		t.Fatalf("a full batch committed %d records, want 3", got)
	}

	r.Record(ex(7))
	if err := r.Close(ctx); err != nil {
		t.Fatalf("Close behind a lingering writer: %v", err)
	}
	if ids := w.ids(); len(ids) != 7 {
		t.Fatalf("written %v, want 7 records", ids)
	}
}

// A database that stays away is logged when it goes and when it is back,
// not on every retry (the writer retries every second, and every batch).
func TestADatabaseThatStaysAwayIsLoggedOnce(t *testing.T) {
	var logged logtest.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	w := &memWriter{fail: 1 << 30}
	r := mustNew(t, w, log, Options{RetryDelay: time.Millisecond, WriteRetries: 1, SpoolPath: filepath.Join(t.TempDir(), "db.spool"), Linger: -1})
	for i := range 5 {
		r.Record(ex(i))
		if err := r.Sync(context.Background()); err != nil { // each Sync retries the spool
			t.Fatal(err)
		}
	}
	if n := strings.Count(logged.String(), "database refused a batch"); n != 1 {
		t.Errorf("the refused batch logged %d times, want once:\n%s", n, logged.String())
	}
	if n := strings.Count(logged.String(), "spool replay stopped"); n != 1 {
		t.Errorf("the stopped replay logged %d times, want once:\n%s", n, logged.String())
	}
	w.mu.Lock()
	w.fail = 0
	w.mu.Unlock()
	r.Record(ex(5))
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logged.String(), "spool replay resumed") || !strings.Contains(logged.String(), "database takes batches again") {
		t.Errorf("the database's return was not logged:\n%s", logged.String())
	}
	if got := w.ids(); len(got) != 6 {
		t.Errorf("written %v, want all 6 records", got)
	}
	r.Close(context.Background())
}

// A spool deleted while in use (its directory removed, a cleanup of a data
// directory) took the records in it along, and the records spooled after it
// went on into the deleted file, reported as waiting for the database: a
// restart found nothing to replay. The spool is now made again at its path
// with what it held that the database does not have.
func TestADeletedSpoolIsMadeAgainWithWhatItHeld(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "db.spool")
	down := &memWriter{fail: 1000}
	r := mustNew(t, down, quiet, Options{RetryDelay: time.Millisecond, WriteRetries: 0, SpoolPath: path})
	for i := range 5 {
		r.Record(ex(i))
	}
	r.Sync(context.Background())
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for i := 5; i < 10; i++ {
		r.Record(ex(i))
	}
	r.Close(context.Background()) // the database never came back in this run
	if st := r.Stats(); st.Spooled != 10 || st.Dropped != 0 {
		t.Fatalf("stats %+v", st)
	}
	up := &memWriter{}
	r2 := mustNew(t, up, quiet, Options{SpoolPath: path})
	if err := r2.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ids := up.ids(); len(ids) != 10 || ids[0] != "0" || ids[9] != "9" {
		t.Fatalf("replayed at start: %v", ids)
	}
	r2.Close(context.Background())
}

// A spool cut short while in use (`: > db.spool` by an operator) left the
// recorder counting bytes no longer there: the records spooled after the cut
// were written, but /health/ready said bytes waited for the database until
// a restart. The records in the file are replayed and the spool ends empty.
func TestASpoolCutShortIsReplayedAndEndsEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.spool")
	w := &memWriter{fail: 1000}
	r := mustNew(t, w, quiet, Options{RetryDelay: time.Millisecond, WriteRetries: 0, SpoolPath: path})
	defer r.Close(context.Background())
	for i := range 5 {
		r.Record(ex(i))
	}
	r.Sync(context.Background())
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	for i := 5; i < 8; i++ {
		r.Record(ex(i))
	}
	r.Sync(context.Background())
	w.mu.Lock()
	w.fail = 0
	w.mu.Unlock()
	r.Record(ex(8))
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ids := w.ids(); len(ids) != 4 || ids[0] != "5" || ids[3] != "8" {
		t.Errorf("written: %v, want 5 to 8", ids)
	}
	if st := r.Stats(); st.SpoolBytes != 0 {
		t.Errorf("after the replay the spool holds %d bytes, want 0: %+v", st.SpoolBytes, st)
	}
}

// Records made while a start replays the spool waited in the queue behind
// the replay (a large spool takes seconds): a crash then lost every call
// answered since the start, and RECORDER_SYNC's callers waited for the
// whole replay. They now go to the spool behind what it replays: durable
// at once, and written, in order, right after it.
func TestRecordsDuringTheStartReplayAreSpooled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.spool")
	down := &memWriter{fail: 1000}
	r := mustNew(t, down, quiet, Options{RetryDelay: time.Millisecond, WriteRetries: 0, SpoolPath: path})
	for i := range 5 {
		r.Record(ex(i))
	}
	r.Close(context.Background())
	up := &memWriter{gate: make(chan struct{})} // the replay's first batch waits
	r2 := mustNew(t, up, quiet, Options{SpoolPath: path})
	for i := 5; i < 8; i++ {
		if !r2.Record(ex(i)) {
			t.Fatalf("record %d dropped", i)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r2.Commit(ctx, ex(8)); err != nil {
		t.Fatalf("a record committed during the replay: %v", err)
	}
	// What a crash now would leave: the file.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var inFile []string
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if it, ok := decodeLine([]byte(line)); ok && it.ex != nil {
			inFile = append(inFile, it.ex.Request.RequestID)
		}
	}
	if len(inFile) != 9 || inFile[8] != "8" {
		t.Fatalf("the spool holds %v during the replay, want 0 to 8", inFile)
	}
	close(up.gate)
	if err := r2.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ids := up.ids(); len(ids) != 9 || ids[0] != "0" || ids[8] != "8" {
		t.Fatalf("written: %v, want 0 to 8 in order", ids)
	}
	r2.Close(context.Background())
	if st := r2.Stats(); st.SpoolBytes != 0 {
		t.Errorf("after the replay: %+v", st)
	}
}
