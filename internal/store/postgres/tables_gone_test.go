package postgres_test

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/storetest"
)

// A schema dropped and made again empty under a running server (or its
// database dropped and made again) left readiness saying only "health
// write: relation "health" does not exist": it now says what happened and
// what to do.
func TestAStoreWhoseTablesWentSaysToRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	raw := storetest.PostgresSchema(t)
	st := openMigrated(ctx, t, raw, postgres.Options{})
	if err := st.Check(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	admin, err := sql.Open("pgx", raw)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE; CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	err = st.Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "no qwenproxy tables any more") || !strings.Contains(err.Error(), "restart the server") {
		t.Fatalf("check of a store whose tables went: %v", err)
	}
}
