package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A key's limit on calls in flight is stored with it (none by default),
// changed by id, and a key stored before migration 0018 has none.
func TestAPIKeyConcurrencyLimit(t *testing.T) { storetest.Each(t, testAPIKeyConcurrencyLimit) }

func testAPIKeyConcurrencyLimit(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	at := time.UnixMilli(time.Now().UnixMilli())

	// Before the migration: its column goes, a key is stored without it.
	for _, q := range []string{"ALTER TABLE api_keys DROP COLUMN max_concurrent", "DELETE FROM schema_migrations WHERE version = 18"} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	insert := `INSERT INTO api_keys (id, name, hash, admin, created_at) VALUES ('old', '', 'h0', ?, ?)`
	if st.Backend() == "postgres" {
		insert = `INSERT INTO api_keys (id, name, hash, admin, created_at) VALUES ('old', '', 'h0', $1, $2)`
	}
	if _, err := st.DB().ExecContext(ctx, insert, false, at.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Migrate(ctx); err != nil || n != 1 {
		t.Fatalf("migrate: %d %v", n, err)
	}

	limited := qp.APIKey{ID: "k1", Name: "agent", Hash: "h1", CreatedAt: at.Add(time.Millisecond), MaxConcurrent: 3}
	if err := st.AddAPIKey(ctx, limited); err != nil {
		t.Fatal(err)
	}
	keys, err := st.APIKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].ID != "old" || keys[0].MaxConcurrent != 0 || keys[1] != limited {
		t.Fatalf("keys %+v %v", keys, err)
	}
	if err := st.SetAPIKeyLimit(ctx, "k1", 0); err != nil {
		t.Fatal(err)
	}
	if err := st.SetAPIKeyLimit(ctx, "old", 7); err != nil {
		t.Fatal(err)
	}
	if keys, err := st.APIKeys(ctx); err != nil || keys[0].MaxConcurrent != 7 || keys[1].MaxConcurrent != 0 {
		t.Fatalf("after the updates: %+v %v", keys, err)
	}
	if err := st.SetAPIKeyLimit(ctx, "nope", 2); !errors.Is(err, qp.ErrNotFound) {
		t.Fatalf("limit of an unknown key: %v", err)
	}
	if err := st.SetAPIKeyLimit(ctx, "k1", -1); err == nil {
		t.Fatal("a negative limit was stored")
	}
}
