package recorder

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/logtest"
)

// A database that comes back while the recorder is idle is written to by
// the spool's replay, not by a batch: the refused batches' warning was then
// never ended, so a second outage within the minute logged no "database
// refused a batch" at all (taken for the first, still going on), and the
// next batch written logged "database takes batches again" with the time
// since the first outage.
func TestADatabaseBackThroughTheReplayEndsTheOutageInTheLog(t *testing.T) {
	var logged logtest.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	w := &memWriter{fail: 1 << 30}
	r := mustNew(t, w, log, Options{RetryDelay: time.Millisecond, WriteRetries: 1, SpoolPath: filepath.Join(t.TempDir(), "db.spool"), Linger: -1})
	defer r.Close(context.Background())
	setFail := func(n int) {
		w.mu.Lock()
		w.fail = n
		w.mu.Unlock()
	}
	sync := func() {
		t.Helper()
		if err := r.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	r.Record(ex(0))
	sync()
	setFail(0)
	sync() // no batch: the replay alone writes what the spool holds
	if !strings.Contains(logged.String(), "database takes batches again") {
		t.Errorf("the database's return through the replay is not logged:\n%s", logged.String())
	}
	setFail(1 << 30)
	r.Record(ex(1))
	sync()
	if n := strings.Count(logged.String(), "database refused a batch"); n != 2 {
		t.Errorf("two outages logged %d refused batches, want one each:\n%s", n, logged.String())
	}
}
