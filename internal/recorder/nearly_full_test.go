//go:build linux

package recorder

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	qp "qwenproxy"
	"qwenproxy/internal/logtest"
)

// roomEnv, set, runs a test's body in a child process whose files may grow
// to no more than RLIMIT_FSIZE: the kernel refuses the bytes past it
// (EFBIG) as a full disk refuses them (ENOSPC), after taking those that fit,
// which a test cannot have otherwise without mounting a small file system.
const roomEnv = "QWENPROXY_TEST_FILE_ROOM_CHILD"

// inChildWithRoom runs the calling test again in a child process and
// reports whether this is the child; the parent fails when the child does.
func inChildWithRoom(t *testing.T) bool {
	t.Helper()
	if os.Getenv(roomEnv) != "" {
		return true
	}
	// A child that hangs (a Close that waits on records with nowhere to
	// go) is stopped with its stacks, not left to the parent's deadline.
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), roomEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
		t.Fatalf("in a child process with a file size limit: %v\n%s", err, out)
	}
	return false
}

// setRoom lets files grow to at most n bytes (the soft limit; the hard one
// stays unlimited, so the room can be given back).
func setRoom(t *testing.T, n uint64) {
	t.Helper()
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: ^uint64(0)}); err != nil {
		t.Fatalf("setrlimit: %v", err)
	}
}

// On a disk with room for some of the records memory holds, those that fit
// go to the spool — durable — and only the rest wait in memory: the spool
// took a batch whole or not at all, so with 7,000 records (13 MB) in memory
// after the disk filled, freeing 5 MB let none of them in (the real binary,
// its spool's file size limited), and all stayed to be lost by a kill -9 or
// a stop's deadline.
func TestANearlyFullDiskSpoolsTheRecordsThatFit(t *testing.T) {
	if !inChildWithRoom(t) {
		return
	}
	path := filepath.Join(t.TempDir(), "db.spool")
	var logs logtest.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	w := &memWriter{fail: 1 << 30} // the database refuses every batch
	call := withBody(`{"messages":[{"role":"user","content":"` + strings.Repeat("x", 1000) + `"}]}`)
	room := spoolRoom(t, call, 20) // the first 20 calls' lines: the room the operator frees

	setRoom(t, 1) // the disk is full: everything waits in memory
	const calls = 100
	r := mustNew(t, w, log, Options{SpoolPath: path, WriteRetries: 1, RetryDelay: 1})
	for i := range calls {
		r.Record(call(i))
	}
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.Held != calls || st.Spooled != 0 {
		t.Fatalf("on a full disk: %+v, want all %d held", st, calls)
	}

	setRoom(t, uint64(room)+500) // room for a fifth of them, and half the next
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	spooled, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Spooled != 20 || st.Held != calls-20 || int64(len(spooled)) != room || !bytes.HasSuffix(spooled, []byte("\n")) {
		t.Fatalf("with room for 20: spooled %d, held %d, the spool %d bytes (want %d, whole lines)", st.Spooled, st.Held, len(spooled), room)
	}
	for i := range 20 {
		if !bytes.Contains(spooled, []byte(`"RequestID":"`+fmt.Sprint(i)+`"`)) {
			t.Fatalf("call %d, among the oldest, is not in the spool", i)
		}
	}

	// The disk has room again and the database is back: every call is
	// written once, in order.
	setRoom(t, ^uint64(0))
	w.mu.Lock()
	w.fail = 0
	w.mu.Unlock()
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	wroteInOrder(t, w, calls)
	if st := r.Stats(); st.Held != 0 || st.SpoolBytes != 0 || st.Dropped != 0 {
		t.Fatalf("after the disk and the database are back: %+v", st)
	}
	r.Close(context.Background())
}

// withBody is ex with body as each call's request.
func withBody(body string) func(int) qp.Exchange {
	return func(i int) qp.Exchange {
		e := ex(i)
		e.Request.OpenAIRequest = []byte(body)
		return e
	}
}

// spoolRoom is the bytes the spool lines of calls 0 to n-1 take.
func spoolRoom(t *testing.T, call func(int) qp.Exchange, n int) int64 {
	t.Helper()
	var room int64
	for i := range n {
		room += int64(len(spoolLineOfExchange(t, call(i))))
	}
	return room
}

// wroteInOrder checks that w wrote calls 0 to n-1, each once, in order.
func wroteInOrder(t *testing.T, w *memWriter, n int) {
	t.Helper()
	var want []string
	for i := range n {
		want = append(want, fmt.Sprint(i))
	}
	if got := strings.Join(w.ids(), ","); got != strings.Join(want, ",") {
		t.Fatalf("written %s", got)
	}
}

func spoolLineOfExchange(t *testing.T, e qp.Exchange) []byte {
	t.Helper()
	b, err := json.Marshal(spoolLine{Exchange: &e})
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// A batch the database refuses, on a disk with room for part of it, leaves
// the part that fits in the spool and the rest in memory, in order: a
// record that comes after it waits behind them.
func TestABatchOnANearlyFullDiskIsSpooledAsFarAsItFits(t *testing.T) {
	if !inChildWithRoom(t) {
		return
	}
	path := filepath.Join(t.TempDir(), "db.spool")
	w := &memWriter{fail: 1 << 30}
	call := withBody(`{"input":"` + strings.Repeat("y", 500) + `"}`)
	room := spoolRoom(t, call, 7)
	setRoom(t, uint64(room)+100) // seven calls and a part of the eighth
	r := mustNew(t, w, quiet, Options{SpoolPath: path, WriteRetries: 1, RetryDelay: 1, BatchSize: 50})
	const calls = 30
	for i := range calls {
		r.Record(call(i))
	}
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	spooled, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	if st.Spooled != 7 || st.Held != calls-7 || int64(len(spooled)) != room {
		t.Fatalf("spooled %d, held %d, the spool %d bytes: want 7, %d and %d", st.Spooled, st.Held, len(spooled), calls-7, room)
	}
	r.Record(call(calls)) // behind them
	setRoom(t, ^uint64(0))
	w.mu.Lock()
	w.fail = 0
	w.mu.Unlock()
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	wroteInOrder(t, w, calls+1)
	r.Close(context.Background())
}

// firstGatedWriter refuses every batch, the first only once gate opens,
// and says when that first write has begun.
type firstGatedWriter struct {
	began, gate chan struct{}
	calls       atomic.Int32
}

func (w *firstGatedWriter) WriteBatch(context.Context, qp.Batch) error {
	if w.calls.Add(1) == 1 {
		close(w.began)
		<-w.gate
	}
	return errors.New("disk says no")
}

// Callers of Commit whose records a nearly full disk took into the spool
// hear that they are durable, and only those whose records stay in memory
// hear ErrNotDurable: every caller of a batch spooled in part heard
// ErrNotDurable, so with RECORDER_SYNC the log said "answering before the
// call's record is durable" of calls that were.
func TestCommitsOfABatchSpooledInPartHearWhereEachWent(t *testing.T) {
	if !inChildWithRoom(t) {
		return
	}
	path := filepath.Join(t.TempDir(), "db.spool")
	w := &firstGatedWriter{began: make(chan struct{}), gate: make(chan struct{})}
	call := withBody(`{"input":"` + strings.Repeat("z", 500) + `"}`)
	room := spoolRoom(t, call, 7)
	setRoom(t, uint64(room)+100) // seven calls and a part of the eighth
	r := mustNew(t, w, quiet, Options{SpoolPath: path, WriteRetries: 1, RetryDelay: 1, Linger: -1})
	r.Record(call(0))
	<-w.began // the writer holds call 0: the next calls queue behind it, to be one batch
	const calls = 30
	errs := make([]chan error, calls)
	for i := 1; i < calls; i++ {
		errs[i] = make(chan error, 1)
		go func() { errs[i] <- r.Commit(context.Background(), call(i)) }()
	}
	for r.Stats().Queued < calls-1 {
		runtime.Gosched() // until every Commit has queued its record
	}
	close(w.gate)
	spooledIDs := map[string]bool{}
	for i := 1; i < calls; i++ {
		err := <-errs[i]
		if i == 1 { // by now the spool holds what it will
			b, rerr := os.ReadFile(path)
			if rerr != nil {
				t.Fatal(rerr)
			}
			for _, line := range bytes.SplitAfter(b, []byte("\n")) {
				if it, ok := decodeLine(line); ok {
					spooledIDs[it.ex.Request.RequestID] = true
				}
			}
			if len(spooledIDs) != 7 {
				t.Fatalf("the spool holds %d calls, want 7", len(spooledIDs))
			}
		}
		if in := spooledIDs[fmt.Sprint(i)]; (err == nil) != in || !in && !errors.Is(err, ErrNotDurable) {
			t.Errorf("call %d, in the spool %v: Commit said %v", i, in, err)
		}
	}
	stop, cancel := context.WithCancel(context.Background())
	cancel() // what memory holds has nowhere to go: dropped at once
	r.Close(stop)
}
