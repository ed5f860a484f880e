// Package storetest opens real databases for tests: a SQLite file in the
// test's temp directory, and a fresh schema in the PostgreSQL server named
// by QWENPROXY_TEST_DATABASE_URL (scripts/test starts one and sets it).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"qwenproxy/internal/store"
	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/sqlstore"
)

// EnvURL names the PostgreSQL server the tests use. Setting it to "skip"
// skips the PostgreSQL tests, visibly; leaving it unset fails them.
const EnvURL = "QWENPROXY_TEST_DATABASE_URL"

// Backends are the store backends every contract test runs on.
var Backends = []string{"sqlite", "postgres"}

// EachBackend runs fn as one subtest per backend.
func EachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	t.Helper()
	for _, b := range Backends {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}

// Each runs fn as one subtest per backend, with a new database of that
// backend (a SQLite path or a postgres:// URL of a fresh schema).
func Each(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Helper()
	EachBackend(t, func(t *testing.T, backend string) { fn(t, URL(t, backend)) })
}

// URL returns a new, empty database of the backend, dropped after the test.
func URL(t testing.TB, backend string) string {
	t.Helper()
	if backend == "sqlite" {
		return filepath.Join(t.TempDir(), "qwenproxy.db")
	}
	return PostgresSchema(t)
}

// PostgresSchema creates a schema of its own for the test in the server at
// EnvURL and returns a URL whose connections use it.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	switch base {
	case "":
		t.Fatalf("%s is not set: the PostgreSQL tests need a server (scripts/test starts one; see the README), or set it to skip", EnvURL)
	case "skip":
		t.Skipf("%s=skip: PostgreSQL tests skipped", EnvURL)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		t.Fatalf("create test schema in %s: %v", postgres.Redact(base), err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// MigratedURL returns a new database of the backend with every migration
// applied, dropped after the test (see Open).
func MigratedURL(t testing.TB, backend string) string {
	t.Helper()
	dbURL := URL(t, backend)
	st, err := openMigrated(context.Background(), dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return dbURL
}

// migratedSQLite is the bytes of a SQLite database file with every
// migration applied, made once per test process in a directory removed at
// once. Closing the store's last connection checkpoints its WAL into the
// file, so the file alone is the database.
var migratedSQLite = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "qwenproxy-storetest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "migrated.db")
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if err := st.Close(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		return nil, fmt.Errorf("%s-wal outlived the store: the file alone is not the database", path)
	}
	return os.ReadFile(path)
})

// Open opens and migrates the database at dbURL.
func Open(t testing.TB, dbURL string) *sqlstore.Store {
	t.Helper()
	return OpenWith(t, dbURL, store.Options{})
}

// OpenWith is Open with the backends' options (a pool's size, timeouts).
//
// A SQLite file not there yet starts as a copy of one migrated once per test
// process: migrating a new file takes ~1.3 s under the race detector
// (modernc's SQLite is Go, and instrumented), most of an end-to-end test's
// time; the copy ~25 ms. Migrate then finds nothing to do. A test of
// migrations themselves opens the store its own way.
func OpenWith(t testing.TB, dbURL string, opt store.Options) *sqlstore.Store {
	t.Helper()
	st, err := openMigrated(context.Background(), dbURL, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openMigrated opens the database at dbURL and migrates it, a SQLite file
// not there yet first written as a copy of migratedSQLite.
func openMigrated(ctx context.Context, dbURL string, opt store.Options) (*sqlstore.Store, error) {
	if _, err := os.Stat(dbURL); !postgres.IsURL(dbURL) && errors.Is(err, fs.ErrNotExist) {
		migrated, err := migratedSQLite()
		if err != nil {
			return nil, fmt.Errorf("migrate a SQLite database to copy: %w", err)
		}
		if err := os.WriteFile(dbURL, migrated, 0o600); err != nil {
			return nil, err
		}
	}
	st, err := store.Open(ctx, dbURL, opt)
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}
