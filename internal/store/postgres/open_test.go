package postgres_test

import (
	"context"
	"net/url"
	"testing"

	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/sqlstore"
)

// withAppName is dbURL with its connections named prefix plus the test's
// schema (application_name), so that pg_stat_activity tells this test's
// connections apart, and that name.
func withAppName(t *testing.T, dbURL, prefix string) (named, name string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	name = prefix + q.Get("search_path")
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String(), name
}

// openMigrated opens the store at dbURL with opt and migrates it; it is
// closed when the test ends.
func openMigrated(ctx context.Context, t *testing.T, dbURL string, opt postgres.Options) *sqlstore.Store {
	t.Helper()
	st, err := postgres.Open(ctx, dbURL, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}
