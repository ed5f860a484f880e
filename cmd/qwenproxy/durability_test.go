package main

import (
	"bufio"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"qwenproxy/internal/diskroom/diskroomtest"
	"qwenproxy/internal/store/storetest"
)

// The durability tests run the real binary through the faults an operator's
// worst day brings — a full disk, a deleted database file, kill -9 — and
// count the calls it acknowledged against the rows it stored.

// server is a running `qwenproxy serve --mock-upstream` whose log is kept.
type proxyProcess struct {
	cmd  *exec.Cmd
	base string
	mu   sync.Mutex
	logs []string
	exit chan error
}

// serveLogged starts the binary on db with more environment and keeps its
// log lines.
func serveLogged(t *testing.T, bin, db string, env ...string) *proxyProcess {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--port", "0", "--mock-upstream", "--database-path", db)
	cmd.Env = append(append(os.Environ(), "LOG_FORMAT=json", "QWEN_TOKEN=", "QWEN_COOKIES="), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &proxyProcess{cmd: cmd, exit: make(chan error, 1)}
	t.Cleanup(func() { cmd.Process.Kill(); <-s.exit })
	addr := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stderr)
		lines.Buffer(nil, 1<<20)
		for lines.Scan() {
			var entry struct{ Msg, Addr string }
			if json.Unmarshal(lines.Bytes(), &entry) == nil && entry.Msg == "listening" {
				addr <- entry.Addr
			}
			s.mu.Lock()
			s.logs = append(s.logs, lines.Text())
			s.mu.Unlock()
		}
		close(addr)
		s.exit <- cmd.Wait()
	}()
	a, ok := <-addr
	if !ok {
		t.Fatalf("server never said where it listens:\n%s", s.log())
	}
	s.base = "http://" + a
	return s
}

func (s *proxyProcess) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.logs, "\n")
}

// stop sends SIGTERM and waits for a clean exit.
func (s *proxyProcess) stop(t *testing.T) {
	t.Helper()
	s.stopWith(t, syscall.SIGTERM)
}

// stopWith sends sig and waits for a clean exit.
func (s *proxyProcess) stopWith(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.exit:
		s.exit <- err // for the cleanup
		if err != nil {
			t.Fatalf("exit after %v: %v\n%s", sig, err, s.log())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("no exit after %v:\n%s", sig, s.log())
	}
}

// kill sends SIGKILL and waits until the process is gone: until then it
// may still hold its database's lock (its files close as it exits), and a
// server started on that database at once is refused ("another qwenproxy
// server already serves the database", seen on a loaded CI machine).
func (s *proxyProcess) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	err := <-s.exit
	s.exit <- err // for the cleanup
}

// call makes one chat call and returns its status and X-Request-Id.
func (s *proxyProcess) call(t *testing.T, text string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Post(s.base+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"qwen3-max","messages":[{"role":"user","content":`+fmt.Sprintf("%q", text)+`}]}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("X-Request-Id")
}

// callsAnswered makes n chat calls that must all be answered, and returns
// their request ids.
func (s *proxyProcess) callsAnswered(t *testing.T, n int, text string) []string {
	t.Helper()
	var ids []string
	for i := range n {
		code, id := s.call(t, fmt.Sprint(text, " ", i))
		if code != 200 {
			t.Fatalf("call %d (%s): %d", i, text, code)
		}
		ids = append(ids, id)
	}
	return ids
}

// health returns the status and body of a health route.
func (s *proxyProcess) health(t *testing.T, route string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(s.base + route)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// recorderStat reads one of /health/detailed's recorder figures.
func (s *proxyProcess) recorderStat(t *testing.T, name string) float64 {
	_, body := s.health(t, "/health/detailed")
	v, _ := body["recorder"].(map[string]any)[name].(float64)
	return v
}

// waitPlaced waits, bounded, until nothing waits in the spool or in memory.
func (s *proxyProcess) waitPlaced(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.recorderStat(t, "held") > 0 || s.recorderStat(t, "spool_bytes") > 0 {
		if time.Now().After(deadline) {
			_, body := s.health(t, "/health/detailed")
			t.Fatalf("records still wait after 30 s: %v", body["recorder"])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitQueue waits, bounded, until the recorder's writer has taken every
// queued record (and placed it somewhere).
func (s *proxyProcess) waitQueue(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.recorderStat(t, "queued") > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the recorder's queue did not empty in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// storedIDs is the set of request ids stored in the SQLite file db.
func storedIDs(t *testing.T, db string) map[string]bool {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var check string
	if err := conn.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
	var orphans int
	if err := conn.QueryRow(`SELECT COUNT(*) FROM requests q WHERE NOT EXISTS (SELECT 1 FROM responses r WHERE r.request_id = q.id)`).Scan(&orphans); err != nil || orphans != 0 {
		t.Fatalf("%d requests without a response (%v)", orphans, err)
	}
	rows, err := conn.Query(`SELECT q.request_id FROM requests q JOIN responses r ON r.request_id = q.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	ids := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	return ids
}

// requestsInFileAlone counts the requests in a copy of the database file
// db without its -wal, as `cp` of the file alone would make: err is the
// copy not read (malformed).
func requestsInFileAlone(t *testing.T, db string) (int, error) {
	t.Helper()
	b, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	alone := filepath.Join(t.TempDir(), "alone.db")
	if err := os.WriteFile(alone, b, 0o600); err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("sqlite", "file:"+alone)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	err = conn.QueryRow(`SELECT COUNT(*) FROM requests`).Scan(&n)
	return n, err
}

// missing is how many of acked are not in stored.
func missing(acked []string, stored map[string]bool) int {
	n := 0
	for _, id := range acked {
		if !stored[id] {
			n++
		}
	}
	return n
}

func TestDurability(t *testing.T) {
	bin := buildBinary(t)

	// Issue 13, item 1: a full disk under the database and its spool.
	t.Run("a full disk loses no acknowledged call", func(t *testing.T) {
		dir, fill := diskroomtest.SmallDisk(t, "16m")
		db := filepath.Join(dir, "qwenproxy.db")
		s := serveLogged(t, bin, db)
		acked := s.callsAnswered(t, 5, "before")
		free := fill()
		acked = append(acked, s.callsAnswered(t, 300, "disk full")...)
		// Readiness is asked once the recorder has tried to place what it
		// queued: asked before, a database write that fits in pages it
		// already has can still succeed.
		s.waitQueue(t)
		if s.recorderStat(t, "held") == 0 {
			t.Fatal("nothing held in memory while neither the database nor the spool takes writes")
		}
		// The database check says so too (it said ok: its own one-row
		// write still fit).
		if code, body := s.health(t, "/health/ready"); code != 503 || body["checks"].(map[string]any)["database"] == "ok" {
			t.Fatalf("ready on a full disk: %d %v", code, body)
		}
		free()
		s.waitPlaced(t)
		if code, body := s.health(t, "/health/ready"); code != 200 {
			t.Fatalf("ready once space returned: %d %v", code, body)
		}
		s.stop(t)
		if n := missing(acked, storedIDs(t, db)); n != 0 || strings.Contains(s.log(), "record dropped") {
			t.Fatalf("%d of %d acknowledged calls missing\n%s", n, len(acked), s.log())
		}
		// The log tells the fault's start once and its end.
		if n := strings.Count(s.log(), "recorder spool refuses writes"); n > 1 {
			t.Errorf("the full spool logged %d times in a few seconds", n)
		}
		// (Straight into the database, or through the spool first: which
		// takes them first is a race.)
		if !strings.Contains(s.log(), "records kept in memory are now in the database") && !strings.Contains(s.log(), "records kept in memory are now in the spool") {
			t.Errorf("the records' arrival in the database is not logged:\n%s", s.log())
		}
	})

	// /health/ready said "recorder: ok" on a full disk until a batch of
	// calls failed there (the database's own check may fail, or fit in
	// pages it has): the recorder watches the free space under the
	// database and the spool, and says so before any call.
	// A graceful stop on a full disk could not checkpoint the WAL into the
	// file (it has to grow) and said nothing: the -wal stayed, the file
	// alone was malformed, and README's Backups called it a backup. The
	// stop says so at error level, and the next stop with room completes
	// the checkpoint.
	t.Run("a stop on a full disk says the file alone is not whole", func(t *testing.T) {
		// More room than SQLite's own checkpoints need (40 MB of WAL) until
		// the disk fills: on less the WAL is checkpointed after each batch
		// (JournalCrowded), and nothing may be left to checkpoint.
		dir, fill := diskroomtest.SmallDisk(t, "128m")
		db := filepath.Join(dir, "qwenproxy.db")
		// Each call answered once committed: in the WAL before the disk fills.
		s := serveLogged(t, bin, db, "RECORDER_SYNC=true")
		// Bodies that do not compress, so the file has to grow by more
		// than a few pages to take them from the WAL.
		// (each its own: the same body is stored once).
		var acked []string
		for range 30 {
			noise := make([]byte, 96<<10)
			rand.Read(noise)
			acked = append(acked, s.callsAnswered(t, 1, hex.EncodeToString(noise))...)
		}
		free := fill()
		s.stop(t)
		const said = "database file not whole"
		if !strings.Contains(s.log(), said) || !strings.Contains(s.log(), db+"-wal") || !strings.Contains(s.log(), "copy both") {
			t.Fatalf("the stop did not say that the WAL was left:\n%s", s.log())
		}
		if fi, err := os.Stat(db + "-wal"); err != nil || fi.Size() == 0 {
			t.Fatalf("the -wal the stop said it left: %v", err)
		}
		if n, err := requestsInFileAlone(t, db); err == nil && n == len(acked) {
			t.Fatalf("the file alone holds every call (%d): the warning was not needed", n)
		}
		free()
		s = serveLogged(t, bin, db)
		s.stop(t)
		if strings.Contains(s.log(), said) {
			t.Fatalf("the stop with room said the file was not whole:\n%s", s.log())
		}
		if _, err := os.Stat(db + "-wal"); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the -wal after a stop with room: %v", err)
		}
		if n := missing(acked, storedIDs(t, db)); n != 0 {
			t.Fatalf("%d of %d calls missing from the file alone", n, len(acked))
		}
	})

	t.Run("a full disk makes the recorder not ready before any call", func(t *testing.T) {
		dir, fill := diskroomtest.SmallDisk(t, "16m")
		s := serveLogged(t, bin, filepath.Join(dir, "qwenproxy.db"))
		if code, body := s.health(t, "/health/ready"); code != 200 {
			t.Fatalf("not ready on an empty disk: %d %v", code, body)
		}
		free := fill()
		code, body := s.health(t, "/health/ready")
		if rec := fmt.Sprint(body["checks"].(map[string]any)["recorder"]); code != 503 || !strings.Contains(rec, "disk full") {
			t.Fatalf("ready on a full disk, before any call: %d %v", code, body)
		}
		free()
		if code, body := s.health(t, "/health/ready"); code != 200 {
			t.Fatalf("not ready once space returned: %d %v", code, body)
		}
		s.stop(t)
	})

	t.Run("a full disk under RECORDING_REQUIRED refuses calls rather than serve them unrecorded", func(t *testing.T) {
		dir, fill := diskroomtest.SmallDisk(t, "16m")
		db := filepath.Join(dir, "qwenproxy.db")
		s := serveLogged(t, bin, db, "RECORDING_REQUIRED=true")
		free := fill()
		// The first call on the full disk finds out that nothing takes
		// records: it was answered before, and waits in memory.
		code, id := s.call(t, "the disk just filled")
		if code != 200 {
			t.Fatalf("first call on a full disk: %d", code)
		}
		acked := []string{id}
		deadline := time.Now().Add(30 * time.Second)
		for s.recorderStat(t, "held") == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the first call's record never went to memory")
			}
			time.Sleep(20 * time.Millisecond)
		}
		for i := range 20 {
			if code, _ := s.call(t, fmt.Sprint("required ", i)); code != 503 {
				t.Fatalf("call %d on a full disk under RECORDING_REQUIRED: %d", i, code)
			}
		}
		free()
		s.waitPlaced(t)
		if code, _ := s.call(t, "space is back"); code != 200 {
			t.Fatalf("call once space returned: %d", code)
		}
		s.stop(t)
		if n := missing(acked, storedIDs(t, db)); n != 0 {
			t.Fatalf("%d of %d acknowledged calls missing", n, len(acked))
		}
	})

	t.Run("what exceeds the memory budget is dropped, logged by request id and kept in readiness", func(t *testing.T) {
		dir, fill := diskroomtest.SmallDisk(t, "16m")
		db := filepath.Join(dir, "qwenproxy.db")
		s := serveLogged(t, bin, db, "RECORDER_MEMORY_BUDGET=20000")
		free := fill()
		acked := s.callsAnswered(t, 40, "over budget")
		s.waitQueue(t)
		free()
		s.waitPlaced(t)
		dropped := int(s.recorderStat(t, "dropped"))
		code, body := s.health(t, "/health/ready")
		if dropped == 0 || code != 503 || !strings.Contains(fmt.Sprint(body["checks"]), "records were lost") {
			t.Fatalf("dropped %d; ready %d %v", dropped, code, body)
		}
		s.stop(t)
		stored := storedIDs(t, db)
		logs := s.log()
		lost := 0
		for _, id := range acked {
			if stored[id] {
				continue
			}
			lost++
			if !strings.Contains(logs, `"msg":"record dropped","request_id":"`+id+`"`) {
				t.Errorf("call %s lost without a log line naming it", id)
			}
		}
		if lost != dropped {
			t.Fatalf("%d calls lost, %d counted as dropped", lost, dropped)
		}
	})
}

func TestDeletedDatabaseFileKeepsCalls(t *testing.T) {
	// Issue 13, item 2: the database file deleted under a running server.
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "qwenproxy.db")
	s := serveLogged(t, bin, db)
	before := s.callsAnswered(t, 20, "before")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(db + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	acked := s.callsAnswered(t, 100, "after the delete")
	code, body := s.health(t, "/health/ready")
	if checks := fmt.Sprint(body["checks"]); code != 503 || !strings.Contains(checks, "deleted or replaced") {
		t.Fatalf("ready with the database file gone: %d %v", code, body)
	}
	s.waitQueue(t)
	s.stop(t)
	firstLog := s.log()
	if !strings.Contains(firstLog, "deleted or replaced") {
		t.Fatalf("the log never says the database file went:\n%s", firstLog)
	}
	// A new database file at the next start receives the spooled calls.
	s = serveLogged(t, bin, db)
	s.waitPlaced(t)
	s.stop(t)
	if n := missing(acked, storedIDs(t, db)); n != 0 {
		t.Fatalf("%d of %d calls answered after the delete are missing", n, len(acked))
	}
	// The calls of the deleted file were saved beside it, and the copy the
	// log names brings them into the new one: the history is whole again.
	saved, _ := filepath.Glob(db + ".saved-*")
	if len(saved) != 1 || !strings.Contains(firstLog, "qwenproxy copy --from sqlite:"+saved[0]) {
		t.Fatalf("no saved file named by the log (%q):\n%s", saved, firstLog)
	}
	if out, err := exec.Command(bin, "copy", "--from", "sqlite:"+saved[0], "--to", "sqlite:"+db).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v\n%s", err, out)
	}
	if n := missing(append(before, acked...), storedIDs(t, db)); n != 0 {
		t.Fatalf("%d of %d calls answered before and after the delete are missing", n, len(before)+len(acked))
	}
}

// A hang-up (the terminal or SSH session the server runs in closes) stops
// it as SIGTERM does, writing every queued record: it killed the process at
// once, and every answered call whose record was queued was lost.
func TestHangUpStopsGracefully(t *testing.T) {
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "qwenproxy.db")
	// A linger longer than the test: the calls' records wait in the queue.
	s := serveLogged(t, bin, db, "RECORDER_LINGER=60000", "RECORDER_BATCH_SIZE=10000")
	acked := s.callsAnswered(t, 20, "before the hang-up")
	s.stopWith(t, syscall.SIGHUP)
	if n := missing(acked, storedIDs(t, db)); n != 0 {
		t.Fatalf("%d of %d answered calls missing after SIGHUP:\n%s", n, len(acked), s.log())
	}
}

// A server whose log's reader is gone (the `| tee` or log shipper it writes
// to died) serves on and stops gracefully: the first line it wrote to the
// broken pipe killed it with SIGPIPE — at the latest a stop's "shutting
// down", before the queued records were written, so every answered call
// whose record was queued was lost.
func TestABrokenLogPipeLosesNoCall(t *testing.T) {
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "qwenproxy.db")
	cmd := exec.Command(bin, "serve", "--port", "0", "--mock-upstream", "--database-path", db)
	// A linger longer than the test: the calls' records wait in the queue.
	cmd.Env = append(os.Environ(), "LOG_FORMAT=json", "QWEN_TOKEN=", "QWEN_COOKIES=", "RECORDER_LINGER=60000", "RECORDER_BATCH_SIZE=10000")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	s := &proxyProcess{cmd: cmd, exit: make(chan error, 1)}
	go func() { s.exit <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill(); <-s.exit })
	lines := bufio.NewScanner(r)
	for s.base == "" && lines.Scan() {
		var entry struct{ Msg, Addr string }
		if json.Unmarshal(lines.Bytes(), &entry) == nil && entry.Msg == "listening" {
			s.base = "http://" + entry.Addr
		}
	}
	if s.base == "" {
		t.Fatal("the server never said where it listens")
	}
	r.Close() // the log's reader dies
	acked := s.callsAnswered(t, 20, "after the log's reader left")
	s.stop(t)
	if n := missing(acked, storedIDs(t, db)); n != 0 {
		t.Fatalf("%d of %d answered calls missing", n, len(acked))
	}
}

// killUnderLoad runs 8 clients against the binary, kills it with SIGKILL at
// the 300th answer, and returns the answered calls' ids and the database.
func killUnderLoad(t *testing.T, bin string, env ...string) (acked []string, db string) {
	t.Helper()
	db = filepath.Join(t.TempDir(), "qwenproxy.db")
	s := serveLogged(t, bin, db, env...)
	var mu sync.Mutex
	loaded := make(chan struct{})
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 30 * time.Second}
			for i := 0; ; i++ {
				resp, err := client.Post(s.base+"/v1/chat/completions", "application/json",
					strings.NewReader(fmt.Sprintf(`{"model":"qwen3-max","messages":[{"role":"user","content":"load %d.%d"}]}`, c, i)))
				if err != nil {
					return // killed
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					return // cut by the kill: not acknowledged
				}
				mu.Lock()
				acked = append(acked, resp.Header.Get("X-Request-Id"))
				if len(acked) == 300 {
					close(loaded)
				}
				mu.Unlock()
			}
		}()
	}
	<-loaded
	s.kill(t)
	wg.Wait()
	return acked, db
}

func TestKillNineWithRecorderSync(t *testing.T) {
	// Issue 13, item 3: with RECORDER_SYNC=true not one answered call is
	// lost to kill -9; without it, what the recorder had not committed yet.
	bin := buildBinary(t)
	// afterRestart starts the server again on the killed one's database
	// (which replays its spool: spooled records survived), makes a call,
	// stops it, and returns how many answered calls are missing.
	afterRestart := func(t *testing.T, acked []string, db string, env ...string) int {
		t.Helper()
		s := serveLogged(t, bin, db, env...)
		s.waitPlaced(t)
		if code, _ := s.call(t, "after the crash"); code != 200 {
			t.Fatalf("after restart: %d", code)
		}
		s.stop(t)
		return missing(acked, storedIDs(t, db))
	}
	t.Run("sync", func(t *testing.T) {
		env := []string{"RECORDER_SYNC=true", "RECORDER_QUEUE_SIZE=64"}
		acked, db := killUnderLoad(t, bin, env...)
		if n := afterRestart(t, acked, db, env...); n != 0 {
			t.Fatalf("RECORDER_SYNC=true: %d of %d answered calls missing after kill -9", n, len(acked))
		}
		t.Logf("RECORDER_SYNC=true: answered %d, all stored", len(acked))
	})
	t.Run("async", func(t *testing.T) {
		// What is lost is what the writer had not committed: the batch in
		// its hands (RECORDER_BATCH_SIZE) and the queue behind it
		// (RECORDER_QUEUE_SIZE; beyond it records are spooled before the
		// answer). A small queue makes that bound worth checking.
		acked, db := killUnderLoad(t, bin, "RECORDER_QUEUE_SIZE=64")
		n := afterRestart(t, acked, db)
		t.Logf("RECORDER_SYNC=false: answered %d, missing %d after kill -9", len(acked), n)
		if n > 64+100 {
			t.Fatalf("%d answered calls missing after kill -9; the bound is RECORDER_QUEUE_SIZE + RECORDER_BATCH_SIZE = 164", n)
		}
	})
}

// serveFails runs `qwenproxy serve` expecting it to refuse to start, and
// returns what it said.
func serveFails(t *testing.T, bin string, args []string, env ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--mock-upstream"}, args...)...)
	cmd.Env = append(append(os.Environ(), "QWEN_TOKEN=", "QWEN_COOKIES="), env...)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("serve started where it must refuse")
	}
	if err == nil {
		t.Fatalf("serve exited cleanly where it must refuse:\n%s", out)
	}
	return string(out)
}

// Issue 13, items 14 and 15: a second server on one SQLite file (or one
// spool) refuses to start, with a clear message, while the CLI still reads;
// and a start that fails creates nothing.
func TestOneServerPerDatabaseAndFailedStartsCreateNothing(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "qwenproxy.db")
	// RECORDER_SYNC: the answer comes once its record is committed, so the
	// CLI below finds it (by default the writer lingers up to 500 ms).
	s := serveLogged(t, bin, db, "RECORDER_SYNC=true")
	if code, _ := s.call(t, "hello"); code != 200 {
		t.Fatalf("call: %d", code)
	}
	out := serveFails(t, bin, []string{"--port", "0", "--database-path", db})
	if !strings.Contains(out, "another qwenproxy server already serves the database") {
		t.Fatalf("second server on one file said:\n%s", out)
	}
	// By a hard link, another name of the same file: SQLite keeps a -wal
	// beside each name, and two WALs checkpointed into one file corrupt it.
	hard := filepath.Join(dir, "hard.db")
	if err := os.Link(db, hard); err != nil {
		t.Fatal(err)
	}
	out = serveFails(t, bin, []string{"--port", "0", "--database-path", hard}, "RECORDER_SPOOL="+hard+".spool")
	if !strings.Contains(out, "hard link") {
		t.Fatalf("second server by a hard link said:\n%s", out)
	}
	if _, err := os.Stat(hard + "-wal"); err == nil {
		t.Fatal("a server refused by a hard link made a -wal beside it")
	}
	if err := os.Remove(hard); err != nil {
		t.Fatal(err)
	}
	out = serveFails(t, bin, []string{"--port", "0", "--database-path", filepath.Join(dir, "other.db")}, "RECORDER_SPOOL="+db+".spool")
	if !strings.Contains(out, "each instance needs its own RECORDER_SPOOL") {
		t.Fatalf("second server on one spool said:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "other.db")); err == nil {
		t.Fatal("a refused start created its database")
	}
	// The database file named as the spool is refused as that, not as
	// another server's (its lock is the database's, held by the server
	// itself).
	mixed := filepath.Join(t.TempDir(), "mixed.db")
	out = serveFails(t, bin, []string{"--port", "0", "--database-path", mixed}, "RECORDER_SPOOL="+mixed)
	if !strings.Contains(out, "RECORDER_SPOOL "+mixed+" is the database's own file") || strings.Contains(out, "another qwenproxy server") {
		t.Fatalf("serve with its database file for its spool said:\n%s", out)
	}
	cli := exec.Command(bin, "requests", "--database-path", db, "--json")
	if b, err := cli.CombinedOutput(); err != nil || !strings.Contains(string(b), `"request_id"`) {
		t.Fatalf("the CLI cannot read while the server runs: %v\n%s", err, b)
	}
	s.stop(t)

	fresh := filepath.Join(t.TempDir(), "never", "qwenproxy.db")
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a port in use
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, args := range [][]string{
		{"--port", port, "--database-path", fresh},
		{"--port", "0", "--host", "0.0.0.0", "--database-path", fresh}, // no keys: refused
	} {
		out := serveFails(t, bin, args)
		if _, err := os.Stat(filepath.Dir(fresh)); err == nil {
			t.Fatalf("serve %v failed but created %s:\n%s", args, filepath.Dir(fresh), out)
		}
	}

	// A spool that cannot be a file (a directory) is refused before the
	// database is created, and said to be RECORDER_SPOOL's.
	unmade := filepath.Join(t.TempDir(), "qwenproxy.db")
	out = serveFails(t, bin, []string{"--port", "0", "--database-path", unmade}, "RECORDER_SPOOL="+t.TempDir())
	if !strings.Contains(out, "RECORDER_SPOOL") {
		t.Errorf("serve with a directory for its spool said:\n%s", out)
	}
	if _, err := os.Stat(unmade); err == nil {
		t.Errorf("serve with a directory for its spool failed but created its database:\n%s", out)
	}

	// A spool that is the database's own file (its -wal, where the spool
	// set aside what it could not read, or the file itself) is refused
	// before anything is written, and the database is left as it was.
	made := filepath.Join(t.TempDir(), "made.db")
	st := storetest.Open(t, made)
	seedHistory(t, st, 3)
	st.Close()
	want, err := os.ReadFile(made)
	if err != nil {
		t.Fatal(err)
	}
	for _, spool := range []string{made, made + "-wal", made + "-shm"} {
		out = serveFails(t, bin, []string{"--port", "0", "--database-path", made}, "RECORDER_SPOOL="+spool)
		if !strings.Contains(out, "RECORDER_SPOOL "+spool+" is the database's own file") {
			t.Errorf("serve with RECORDER_SPOOL=%s said:\n%s", spool, out)
		}
	}
	if got, err := os.ReadFile(made); err != nil || string(got) != string(want) {
		t.Errorf("the database changed: %v", err)
	}

	// A database that exists but stores no keys is refused before any
	// migration touches it.
	existing := filepath.Join(t.TempDir(), "existing.db")
	if err := os.WriteFile(existing, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out = serveFails(t, bin, []string{"--port", "0", "--host", "0.0.0.0", "--database-path", existing})
	if !strings.Contains(out, "refusing to listen on 0.0.0.0 without API keys") {
		t.Fatalf("serve on 0.0.0.0 without keys said:\n%s", out)
	}
	conn, err := sql.Open("sqlite", "file:"+existing+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var tables int
	if err := conn.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("a refused start left %d tables in the existing database (%v)", tables, err)
	}
}
