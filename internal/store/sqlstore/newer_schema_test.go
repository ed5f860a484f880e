package sqlstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

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
