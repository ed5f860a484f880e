package e2e

import (
	"context"
	"testing"
	"time"

	"qwenproxy/internal/auth"
	"qwenproxy/internal/store/sqlite"
)

// addKey stores a new API key in the database at path, as `qwenproxy keys
// add` does, and returns the key.
func addKey(t *testing.T, path string) string {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, stored := auth.NewKey("test", false, time.Now())
	if err := st.AddAPIKey(context.Background(), stored); err != nil {
		t.Fatal(err)
	}
	return key
}
