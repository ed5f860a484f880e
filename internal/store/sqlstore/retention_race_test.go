package sqlstore_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// Retention's delete of empty sessions, on PostgreSQL shared by instances,
// against another instance's recorder writing the first calls of such a
// session. The delete judged the session empty from a snapshot taken before
// the recorder's transaction committed, then waited for the row lock the
// calls' foreign key held on the session, and deleted it once they were
// committed: the cascade took the calls along, past the deletes' own
// accounting, so they were lost and the statistics and the lists' totals
// counted them for good (seen: a `copy` into a database two retaining
// instances served left 500 calls in the statistics that no list held).
func TestRetentionNeverCascadesCallsCommittedWhileItDeletesEmptySessions(t *testing.T) {
	dbURL := storetest.URL(t, "postgres")
	st := storetest.Open(t, dbURL)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	idle := time.UnixMilli(time.Now().Add(-2 * time.Hour).UnixMilli())
	// A conversation idle past SessionInFlight whose calls retention took:
	// resumed now, its new call on its way into the database.
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{{ID: "resumed", ChatID: "c", FirstUserMessage: "x",
		CreatedAt: idle, LastAccessed: idle, ExpiresAt: idle.Add(24 * time.Hour)}}}); err != nil {
		t.Fatal(err)
	}

	other, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	// A table the recorder writes after its calls' rows, held, so that its
	// transaction stops there with the calls inserted and not committed.
	blocker, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback()
	var blockerPID int
	if err := blocker.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&blockerPID); err != nil {
		t.Fatal(err)
	}
	if _, err := blocker.ExecContext(ctx, `LOCK TABLE call_counts IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	written := make(chan error, 1)
	go func() { written <- st.WriteExchanges(ctx, []qp.Exchange{exchange(1, "resumed")}) }()
	writerPID := waitForBlocked(ctx, t, other, blockerPID, written)

	swept := make(chan error, 1)
	go func() {
		_, err := st.DeleteOldestOver(ctx, 1<<40, 500) // under the limit: empty sessions only
		swept <- err
	}()
	waitForBlocked(ctx, t, other, writerPID, swept)
	if err := blocker.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	if err := <-swept; err != nil {
		t.Fatal(err)
	}

	rec, err := st.Request(ctx, "req-1")
	if err != nil {
		t.Fatalf("the call recorded while retention deleted empty sessions is gone: %v", err)
	}
	if rec.SessionID != "resumed" {
		t.Errorf("the call lost its session: %q", rec.SessionID)
	}
	var rows int64
	if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM responses`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	stats, err := st.Stats(ctx, qp.StatsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := st.ListRequests(ctx, qp.CallFilter{Status: qp.StatusSuccess}, qp.ListOptions{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Totals.Requests != rows || int64(list.Total) != rows {
		t.Errorf("%d calls stored, the statistics count %d and the list's total %v", rows, stats.Totals.Requests, list.Total)
	}
}

// waitForBlocked waits until a backend of the database waits for a lock the
// backend holder holds, and returns its pid; done is the waiting
// operation's result, which must not come first.
func waitForBlocked(ctx context.Context, t *testing.T, db *sql.DB, holder int, done <-chan error) int {
	t.Helper()
	for {
		var pid sql.NullInt64
		if err := db.QueryRowContext(ctx, `SELECT MIN(pid) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, holder).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		if pid.Valid {
			return int(pid.Int64)
		}
		select {
		case err := <-done:
			t.Fatalf("finished without waiting for backend %d's lock: %v", holder, err)
		case <-ctx.Done():
			t.Fatalf("nothing waited for backend %d's lock", holder)
		case <-time.After(10 * time.Millisecond): // polling the server's view, bounded by ctx
		}
	}
}
