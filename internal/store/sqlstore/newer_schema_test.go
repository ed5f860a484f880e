package sqlstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// An instance whose database a newer version migrated while it ran (the
// first instance of a rolling upgrade) went on as ready: its writes failed
// with the schema's own words ("there is no unique or exclusion constraint
// matching the ON CONFLICT specification") and its calls piled up in its
// spool, while a start on that database is refused naming the migration.
// The readiness check says the same, so a load balancer stops sending it
// calls and the operator knows to upgrade it.
func TestAMigrationByANewerVersionWhileRunningFailsTheCheck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		if err := st.Check(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_the_future', 0)`); err != nil {
			t.Fatal(err)
		}
		err := st.Check(ctx)
		if !errors.Is(err, sqlstore.ErrNewerSchema) || !strings.Contains(err.Error(), "9999 (9999_from_the_future)") {
			t.Fatalf("check after a newer version migrated the database: %v", err)
		}
	})
}

// Once a newer version migrated the database under a running instance, that
// instance's batches are refused with ErrNewerSchema, so its recorder keeps
// them in its spool for the new version to replay: written as they were,
// the calls that still fit the schema went in without what the newer
// migrations keep beside each call (rollups, counts), and the statistics
// and list totals missed them for good.
func TestABatchIsRefusedOnceANewerVersionMigratedTheDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		st := storetest.Open(t, dbURL)
		at := time.UnixMilli(time.Now().Add(-time.Minute).UnixMilli())
		if _, err := st.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_the_future', 0)`); err != nil {
			t.Fatal(err)
		}
		s, c := oneTurn("late", at)
		err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}, Exchanges: []qp.Exchange{c}})
		if !errors.Is(err, sqlstore.ErrNewerSchema) || errors.Is(err, qp.ErrRecordRefused) {
			t.Fatalf("batch after a newer version migrated the database: %v, want ErrNewerSchema (not a refused record)", err)
		}
		var calls int
		if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM requests`).Scan(&calls); err != nil {
			t.Fatal(err)
		}
		if calls != 0 {
			t.Fatalf("%d calls stored by the older version after the migration, want 0 (they wait in its spool)", calls)
		}
	})
}
