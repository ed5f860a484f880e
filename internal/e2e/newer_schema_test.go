package e2e

import (
	"testing"

	"github.com/openai/openai-go/v3"
)

// An instance running when a newer version migrated the shared database (a
// rolling upgrade) keeps its calls in its spool, as the README says, until
// the new version takes its place and replays it: it wrote the calls that
// still fitted the tables, without what the newer migrations keep beside
// each call, so statistics and list totals missed them for good.
func TestAnInstanceANewerVersionMigratedUnderSpoolsItsCalls(t *testing.T) {
	e := startOn(t, "postgres", nil)
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("before the upgrade"))); err != nil {
		t.Fatal(err)
	}
	db := e.db()
	if _, err := db.ExecContext(ctxT(t), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_the_future', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("during the upgrade"))); err != nil {
		t.Fatal(err)
	}
	_ = e.app.Sync(ctxT(t)) // what the database refuses is spooled, not an error of the call
	if n := e.count(`SELECT COUNT(*) FROM requests`); n != 1 {
		t.Fatalf("%d calls in the database after the newer migration, want 1 (the second waits in the spool)", n)
	}
	if code, _ := getJSON(t, e, "GET", "/health/ready"); code != 503 {
		t.Fatalf("ready: %d, want 503", code)
	}
	// The new version takes this one's place (its migration stands in for
	// it here: this binary is the newest there is) and replays the spool.
	if _, err := db.ExecContext(ctxT(t), `DELETE FROM schema_migrations WHERE version = 9999`); err != nil {
		t.Fatal(err)
	}
	e.restart()
	e.sync()
	if n := e.count(`SELECT COUNT(*) FROM requests`); n != 2 {
		t.Fatalf("%d calls in the database after the replay, want 2", n)
	}
	if n := e.count(`SELECT COALESCE(SUM(calls), 0) FROM call_counts WHERE list = 'requests'`); n != 2 {
		t.Fatalf("the requests list counts %d calls, want 2", n)
	}
}
