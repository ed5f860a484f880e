package app

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/config"
	"qwenproxy/internal/store/storetest"
)

// A database migrated before the keys' concurrency limit (0018) still
// counts its stored keys for a start on every address, before the
// migration runs: reading the keys whole asked for the column it lacks, and
// the start failed.
func TestStoredKeysOfAnOlderDatabaseAllowAPublicStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	st := storetest.Open(t, path)
	ctx := context.Background()
	if err := st.AddAPIKey(ctx, qp.APIKey{ID: "k1", Hash: "h1", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"ALTER TABLE api_keys DROP COLUMN max_concurrent", "DELETE FROM schema_migrations WHERE version = 18"} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	cfg, err := config.Load([]string{"--host", "0.0.0.0"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkStoredKeys(ctx, cfg, st); err != nil {
		t.Fatalf("a database with a stored key, before migration 18: %v", err)
	}
}
