package postgres_test

import (
	"net/url"
	"testing"
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
