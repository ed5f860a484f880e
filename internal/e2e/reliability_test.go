package e2e

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/config"
)

// TestLockedDatabaseLosesNothing holds an exclusive lock on the SQLite file
// for longer than the busy timeout while calls are made: the calls succeed
// (the recorder spools), and every record is in the database once the lock
// is released.
func TestLockedDatabaseLosesNothing(t *testing.T) {
	e := start(t, func(c *config.Config) { c.DatabaseBusyTimeout = 50 * time.Millisecond })
	// Everything the first call needs exists before the lock is taken.
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("before the lock"))); err != nil {
		t.Fatal(err)
	}
	e.sync()

	release := lockDatabase(t, e.cfg.DatabasePath)
	const calls = 6
	for i := range calls {
		if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("while locked"))); err != nil {
			t.Fatalf("call %d failed while the database was locked: %v", i, err)
		}
	}
	// Let the writer meet the lock: Sync returns once the queue is handled,
	// which with the database locked means spooled.
	if err := e.app.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	st := e.app.Recorder().Stats()
	if st.Spooled == 0 || st.SpoolBytes == 0 || st.Dropped != 0 {
		t.Fatalf("while locked: %+v", st)
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
		t.Fatalf("after the lock: %+v", st)
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

// lockDatabase holds an exclusive lock on the SQLite file, as another
// process could, until release.
func lockDatabase(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
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

// TestPostgresRefusingWritesLosesNothing makes the PostgreSQL database refuse
// every new call row while calls are made: the calls succeed (the recorder
// spools), and every record is there once it takes writes again.
func TestPostgresRefusingWritesLosesNothing(t *testing.T) {
	e := startOn(t, "postgres", nil)
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("before the fault"))); err != nil {
		t.Fatal(err)
	}
	db := e.db()
	if _, err := db.Exec(`ALTER TABLE requests ADD CONSTRAINT refuse_writes CHECK (false) NOT VALID`); err != nil {
		t.Fatal(err)
	}
	const calls = 6
	for i := range calls {
		if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("while refused"))); err != nil {
			t.Fatalf("call %d failed while the database refused writes: %v", i, err)
		}
	}
	if err := e.app.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if st := e.app.Recorder().Stats(); st.Spooled == 0 || st.SpoolBytes == 0 || st.Dropped != 0 {
		t.Fatalf("while refused: %+v", st)
	}
	if _, err := db.Exec(`ALTER TABLE requests DROP CONSTRAINT refuse_writes`); err != nil {
		t.Fatal(err)
	}
	rows := e.rows() // syncs: the spool is replayed first
	if len(rows) != 1+calls {
		t.Fatalf("%d calls recorded, want %d", len(rows), 1+calls)
	}
	for _, r := range rows {
		if r.Responses != 1 || r.Status != "success" {
			t.Fatalf("row %+v", r)
		}
	}
}
