package postgres_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/storetest"
)

// A migration waiting for a table another session holds (a report's long
// transaction, an old instance's open read) waited for as long as that
// session lasted: the start hung without a word, and every statement of the
// instances still serving on that table queued behind the migration's
// lock request, so their turns stalled too. The migration gives up after a
// bounded wait, saying so, and releases the queue.
func TestAMigrationBlockedByAnotherSessionFailsTheStartSayingSo(t *testing.T) {
	guard, cancel := context.WithTimeout(context.Background(), time.Minute) // the test's own bound
	defer cancel()
	dbURL := storetest.PostgresSchema(t)
	old := storetest.Open(t, dbURL)
	// The database as a version before migration 0013 left it.
	if _, err := old.DB().ExecContext(guard, `ALTER TABLE sessions DROP COLUMN last_call_ids`); err != nil {
		t.Fatal(err)
	}
	if _, err := old.DB().ExecContext(guard, `DELETE FROM schema_migrations WHERE version = 13`); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	report, err := other.BeginTx(guard, nil) // holds sessions until it ends
	if err != nil {
		t.Fatal(err)
	}
	defer report.Rollback()
	var n int
	if err := report.QueryRowContext(guard, `SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	st, err := postgres.Open(guard, dbURL, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = st.Migrate(guard)
	if guard.Err() != nil {
		t.Fatal("the migration still waits for the other session's lock")
	}
	if err == nil || !strings.Contains(err.Error(), "0013") || !strings.Contains(err.Error(), "another session") {
		t.Fatalf("migrate while another session holds the table: %v", err)
	}
	report.Rollback()
	if _, err := st.Migrate(guard); err != nil {
		t.Fatalf("migrate once the other session ended: %v", err)
	}
}
