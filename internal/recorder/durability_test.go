package recorder

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unsafe"
	"weak"

	qp "qwenproxy"
	"qwenproxy/internal/logtest"
)

func spoolLineOf(t *testing.T, i int) []byte {
	t.Helper()
	e := ex(i)
	b, err := json.Marshal(spoolLine{Exchange: &e})
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// Issue 13, item 4: unreadable spool lines are counted, logged and kept in a
// side file; nothing not replayed is ever truncated.
func TestCorruptSpoolLinesAreSetAsideNeverLost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.spool")
	var corrupt [][]byte
	var content []byte
	add := func(line []byte, bad bool) {
		content = append(content, line...)
		if bad {
			corrupt = append(corrupt, line)
		}
	}
	add(spoolLineOf(t, 1), false)
	add([]byte("\x8f\x01garbage \xff bytes\n"), true)
	add(append([]byte{0, 0, 0}, spoolLineOf(t, 99)...), true) // a NUL prefix
	add(spoolLineOf(t, 2), false)
	add([]byte("{}\n"), true)                                       // neither a call nor a session
	add([]byte(`{"exchange":{"Request":{"RequestID":"torn"`), true) // torn by a crash
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}

	// The database refuses: nothing is set aside twice, nothing cut.
	var logs logtest.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	down := &memWriter{fail: 1 << 30}
	r := mustNew(t, down, log, Options{SpoolPath: path})
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.Close(context.Background())
	kept, _ := os.ReadFile(path)
	if !bytes.HasPrefix(kept, content) {
		t.Fatalf("a spool the database refused was changed:\n%q\nwas\n%q", kept, content)
	}

	up := &memWriter{}
	r = mustNew(t, up, log, Options{SpoolPath: path})
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	r.Close(context.Background())
	if ids := up.ids(); strings.Join(ids, ",") != "1,2" {
		t.Fatalf("replayed %v", ids)
	}
	if st.Corrupt != int64(len(corrupt)) || st.SpoolBytes != 0 {
		t.Fatalf("stats %+v, want %d unreadable lines", st, len(corrupt))
	}
	side, err := os.ReadFile(path + ".corrupt")
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Join(corrupt, nil)
	want = append(want, '\n') // the torn line, ended
	if !bytes.Equal(side, want) {
		t.Fatalf("side file holds\n%q\nwant\n%q", side, want)
	}
	if n := strings.Count(logs.String(), "unreadable spool line set aside"); n != len(corrupt) {
		t.Fatalf("%d unreadable lines logged, want %d:\n%s", n, len(corrupt), logs.String())
	}
}

// Issue 13, item 1: when neither the database nor the spool takes records
// (the spool's disk is full: /dev/full answers every write with ENOSPC)
// they wait in memory within the budget, are retried, and what exceeds the
// budget is dropped and logged by request id.
func TestRecordsNoOneTakesWaitInMemoryWithinTheBudget(t *testing.T) {
	fullDisk(t)
	var logs logtest.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	w := &memWriter{fail: 1 << 30}
	per := item{ex: &qp.Exchange{Request: qp.Request{RequestID: "x"}}}.size()
	r := mustNew(t, w, log, Options{SpoolPath: "/dev/full", MemoryBudget: 3 * per, WriteRetries: 1, RetryDelay: 1, BatchSize: 1})
	for i := range 5 { // one at a time: each meets the full disk alone
		r.Record(ex(i))
		if err := r.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	st := r.Stats()
	if st.Held != 3 || st.Dropped != 2 || r.Durable() {
		t.Fatalf("stats %+v", st)
	}
	for _, id := range []string{"3", "4"} {
		if !strings.Contains(logs.String(), `"msg":"record dropped","request_id":"`+id+`"`) {
			t.Fatalf("dropped record %s not logged:\n%s", id, logs.String())
		}
	}

	// The database is back: memory drains into it, oldest first.
	w.mu.Lock()
	w.fail = 0
	w.mu.Unlock()
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ids := strings.Join(w.ids(), ","); ids != "0,1,2" || !r.Durable() {
		t.Fatalf("written %s, stats %+v", ids, r.Stats())
	}
	// And the log says the fault is over (it ended at the refusal).
	if !strings.Contains(logs.String(), `"msg":"records kept in memory are now in the database","records":3`) {
		t.Errorf("the records' arrival in the database is not logged:\n%s", logs.String())
	}
	r.Close(context.Background())
}

// A spool that refuses every record is logged when it is met and when it
// takes writes again, not for every record (a trial's full disk under load
// logged it 1,589 times in three seconds); each dropped call stays logged
// by its id.
func TestAFullSpoolIsLoggedOnce(t *testing.T) {
	fullDisk(t)
	var logs logtest.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	w := &memWriter{fail: 1 << 30}
	// No memory to hold anything: every record meets the spool on its own.
	r := mustNew(t, w, log, Options{SpoolPath: "/dev/full", MemoryBudget: 1, WriteRetries: 1, RetryDelay: 1, BatchSize: 1})
	for i := range 5 {
		r.Record(ex(i))
		if err := r.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "recorder spool refuses writes"); n != 1 {
		t.Errorf("the full spool logged %d times, want once:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), `"msg":"record dropped"`); n != 5 {
		t.Errorf("%d dropped records logged, want each of 5:\n%s", n, logs.String())
	}
	r.Close(context.Background())
}

// A second fault is logged as such: once the records memory held are in
// the database, a spool refusing writes again is a new run of failures
// (it was taken for the first one's, and not logged within the minute).
func TestASecondFullSpoolIsLoggedAgain(t *testing.T) {
	fullDisk(t)
	var logs logtest.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	w := &memWriter{fail: 1 << 30}
	r := mustNew(t, w, log, Options{SpoolPath: "/dev/full", WriteRetries: 1, RetryDelay: 1, BatchSize: 1})
	setFail := func(n int) {
		w.mu.Lock()
		w.fail = n
		w.mu.Unlock()
	}
	for episode := range 2 {
		setFail(1 << 30)
		r.Record(ex(2 * episode))
		r.Sync(context.Background())
		setFail(0)
		r.Record(ex(2*episode + 1))
		if err := r.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "recorder spool refuses writes"); n != 2 {
		t.Errorf("two faults logged %d times, want twice:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "records kept in memory are now in the database"); n != 2 {
		t.Errorf("the two faults' end logged %d times, want twice:\n%s", n, logs.String())
	}
	r.Close(context.Background())
}

// Commit waits for the record to be durable, and says so when it is not.
func TestCommitWaitsForTheRecord(t *testing.T) {
	w := &memWriter{}
	r := mustNew(t, w, quiet, Options{Linger: -1})
	if err := r.Commit(context.Background(), ex(1)); err != nil {
		t.Fatal(err)
	}
	if ids := w.ids(); len(ids) != 1 {
		t.Fatalf("Commit returned before its record was written: %v", ids)
	}
	w.mu.Lock()
	w.fail = 1 << 30
	w.mu.Unlock()
	if err := r.Commit(context.Background(), ex(2)); err != ErrNotDurable {
		t.Fatalf("Commit with the database down and no spool: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.Close(ctx)
}

// The queue is bounded in bytes too: large records past the budget go to
// the spool while the writer is busy, however short the queue.
func TestLargeRecordsPastTheBudgetAreSpooledNotQueued(t *testing.T) {
	w := &memWriter{gate: make(chan struct{})}
	big := func(i int) qp.Exchange {
		e := ex(i)
		e.Request.OpenAIRequest = bytes.Repeat([]byte("x"), 100_000)
		return e
	}
	r := mustNew(t, w, quiet, Options{QueueSize: 1000, MemoryBudget: 350_000, SpoolPath: filepath.Join(t.TempDir(), "s")})
	for i := range 10 {
		if !r.Record(big(i)) {
			t.Fatalf("record %d dropped", i)
		}
	}
	if st := r.Stats(); st.Queued > 4 || st.Spooled < 6 {
		t.Fatalf("10 records of 100 KB with a budget of 350 KB: %+v", st)
	}
	close(w.gate)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.Close(context.Background())
	if n := len(w.ids()); n != 10 {
		t.Fatalf("%d of 10 written", n)
	}
}

// fullDisk makes sure /dev/full, a file every write to fails with ENOSPC,
// is there to stand for a full disk: on Linux (CI) it must be; elsewhere
// the test cannot run.
func fullDisk(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/dev/full"); err != nil {
		if runtime.GOOS == "linux" {
			t.Fatalf("no /dev/full on Linux: %v", err)
		}
		t.Skip("no /dev/full to stand for a full disk on " + runtime.GOOS)
	}
}

// forgetfulWriter takes batches and keeps nothing of them.
type forgetfulWriter struct{ gate chan struct{} }

func (w forgetfulWriter) WriteBatch(context.Context, qp.Batch) error {
	<-w.gate
	return nil
}

// A written record is the database's, not memory's: once its batch is
// written, the recorder holds nothing of it, however many calls it wrote in
// one batch and however few come after.
func TestAWrittenBatchLeavesNothingInMemory(t *testing.T) {
	w := forgetfulWriter{gate: make(chan struct{})}
	r := mustNew(t, w, quiet, Options{})
	defer r.Close(context.Background())
	var bodies []weak.Pointer[byte]
	for i := range 20 {
		e := ex(i)
		e.Request.OpenAIRequest = bytes.Repeat([]byte{'x'}, 64<<10)
		e.Response.QwenResponse = bytes.Repeat([]byte{'y'}, 64<<10)
		bodies = append(bodies, weak.Make(&e.Request.OpenAIRequest[0]), weak.Make(&e.Response.QwenResponse[0]))
		r.Record(e)
		first := strings.Repeat("z", 64<<10)
		bodies = append(bodies, weak.Make(unsafe.StringData(first)))
		r.SaveSession(qp.Session{ID: fmt.Sprint("s", i), FirstUserMessage: first})
	}
	// The writer was held on its first batch: what followed queued up and
	// is written as one batch of many.
	close(w.gate)
	for i := range 2 {
		if err := r.Commit(context.Background(), ex(100+i)); err != nil {
			t.Fatal(err)
		}
	}
	// The second commit's batch began after the first's was done with.
	runtime.GC()
	kept := 0
	for _, b := range bodies {
		if b.Value() != nil {
			kept++
		}
	}
	if kept > 0 {
		t.Fatalf("%d of %d bodies of written records are still held in memory", kept, len(bodies))
	}
}

// A session's later state replaces its earlier one in a batch, but not its
// first user message, which later states do not carry (the session cache
// forgets it once queued); a later state that names it anew renames it.
func TestASessionsLaterStateInABatchKeepsItsFirstMessage(t *testing.T) {
	r := mustNew(t, forgetfulWriter{gate: make(chan struct{})}, quiet, Options{})
	defer r.Close(context.Background())
	var b batch
	for _, s := range []qp.Session{
		{ID: "s", MessageCount: 0, FirstUserMessage: "the first message"},
		{ID: "s", MessageCount: 1},
		{ID: "s", MessageCount: 2},
	} {
		r.add(&b, item{session: &s})
	}
	if len(b.Sessions) != 1 || b.Sessions[0].MessageCount != 2 || b.Sessions[0].FirstUserMessage != "the first message" {
		t.Fatalf("batch sessions %+v", b.Sessions)
	}
	r.add(&b, item{session: &qp.Session{ID: "s", MessageCount: 3, FirstUserMessage: "renamed"}})
	if b.Sessions[0].FirstUserMessage != "renamed" {
		t.Fatalf("a state that names the session anew kept %q", b.Sessions[0].FirstUserMessage)
	}
}
