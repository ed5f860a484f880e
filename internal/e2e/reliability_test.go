package e2e

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/config"
)

// TestLockedDatabaseLosesNothing holds an exclusive lock on the SQLite file
// for longer than the busy timeout while calls are made.
func TestLockedDatabaseLosesNothing(t *testing.T) {
	e := start(t, func(c *config.Config) { c.DatabaseBusyTimeout = 50 * time.Millisecond })
	recordsSurvive(t, e, func() func() { return lockDatabase(t, e.cfg.DatabasePath) })
}

// TestPostgresRefusingWritesLosesNothing makes the PostgreSQL database refuse
// every new call row while calls are made.
func TestPostgresRefusingWritesLosesNothing(t *testing.T) {
	e := startOn(t, "postgres", nil)
	recordsSurvive(t, e, func() func() {
		db := e.db()
		exec := func(q string) {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		exec(`ALTER TABLE requests ADD CONSTRAINT refuse_writes CHECK (false) NOT VALID`)
		return func() { exec(`ALTER TABLE requests DROP CONSTRAINT refuse_writes`) }
	})
}

// recordsSurvive makes calls while fault keeps the database from taking
// writes: the calls succeed (the recorder spools), and every record is in
// the database once the fault's release lets it write again.
func recordsSurvive(t *testing.T, e *env, fault func() (release func())) {
	t.Helper()
	// Everything the first call needs exists before the fault.
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("before the fault"))); err != nil {
		t.Fatal(err)
	}
	e.sync()
	release := fault()
	const calls = 6
	for i := range calls {
		if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("during the fault"))); err != nil {
			t.Fatalf("call %d failed while the database took no writes: %v", i, err)
		}
	}
	// Let the writer meet the fault: Sync returns once the queue is handled,
	// which with the database refusing means spooled.
	if err := e.app.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	st := e.app.Recorder().Stats()
	if st.Spooled == 0 || st.SpoolBytes == 0 || st.Dropped != 0 {
		t.Fatalf("during the fault: %+v", st)
	}
	release()
	rows := e.rows() // syncs: the spool is replayed first
	if len(rows) != 1+calls {
		t.Fatalf("%d calls recorded, want %d", len(rows), 1+calls)
	}
	for _, r := range rows {
		if r.Responses != 1 || r.Status != "success" {
			t.Fatalf("row %+v", r)
		}
	}
	if st := e.app.Recorder().Stats(); st.SpoolBytes != 0 || st.Replayed == 0 {
		t.Fatalf("after the fault: %+v", st)
	}
}

func TestReadinessReportsTheDatabaseAndTheRecorder(t *testing.T) {
	e := start(t, func(c *config.Config) { c.DatabaseBusyTimeout = 50 * time.Millisecond })
	ready := func() (int, string) {
		resp, err := http.Get(e.app.URL() + "/health/ready")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := ready(); code != 200 || !strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("ready: %d %s", code, body)
	}
	release := lockDatabase(t, e.cfg.DatabasePath)
	if code, body := ready(); code != 503 || !strings.Contains(body, `"database":"unavailable`) {
		t.Fatalf("ready with the database locked: %d %s", code, body)
	}
	release()
	if code, _ := ready(); code != 200 {
		t.Fatalf("ready after the lock: %d", code)
	}
	resp, err := http.Get(e.app.URL() + "/health/detailed")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`"recorder":{`, `"queue_size":10000`, `"sessions":{`, `"goroutines":`} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("detailed lacks %s: %s", want, b)
		}
	}
}

// A database that refuses the recorder's batches while the readiness
// check's one-row write still goes through (a disk with a few pages left)
// is not "ok" in /health/ready: it said ok beside a recorder holding
// records nothing took.
func TestReadinessReportsADatabaseThatRefusesBatches(t *testing.T) {
	e := start(t, func(c *config.Config) { c.SpoolPath = "" }) // no spool: what is refused waits in memory
	// Without a spool there is no spool lock (it was ".lock" in the
	// working directory, and got committed).
	if _, err := os.Stat(".lock"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a server without a spool made ./.lock: %v", err)
	}
	db, err := sql.Open("sqlite", "file:"+e.cfg.DatabasePath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER refuse_calls BEFORE INSERT ON requests BEGIN SELECT RAISE(ABORT, 'no room for calls'); END`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("refused"))); err != nil {
		t.Fatal(err)
	}
	e.app.Sync(ctxT(t)) // the batch is tried (and refused) before Sync returns
	code, body := getJSON(t, e, "GET", "/health/ready")
	if database := body["checks"].(map[string]any)["database"].(string); code != 503 || !strings.Contains(database, "no room for calls") {
		t.Fatalf("ready while batches are refused: %d %v", code, body)
	}
	if _, err := db.Exec(`DROP TRIGGER refuse_calls`); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if code, body := getJSON(t, e, "GET", "/health/ready"); code != 200 {
		t.Fatalf("ready once batches are taken: %d %v", code, body)
	}
}

// lockDatabase holds an exclusive lock on the SQLite file, as another
// process could, until release.
func lockDatabase(t *testing.T, path string) (release func()) {
	t.Helper()
	// The server writes in the background too (account state, sessions):
	// wait for a write in progress to end rather than fail on it.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	released := false
	release = func() {
		if !released {
			released = true
			conn.ExecContext(context.Background(), "ROLLBACK")
			conn.Close()
			db.Close()
		}
	}
	t.Cleanup(release)
	return release
}
