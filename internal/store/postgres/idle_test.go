package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/store/postgres"
)

// A database that stops answering after the connection was made (a frozen
// server: the kernel still acknowledges what is sent) held a reading command
// for ever, without a word. With ReadIdleTimeout the query fails, naming
// the silence, instead.
func TestAFrozenDatabaseFailsAReadAfterTheIdleBound(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dbURL, proxy := stalledSchema(t)
	st := openMigrated(ctx, t, dbURL, postgres.Options{ReadIdleTimeout: 500 * time.Millisecond})
	if err := st.Check(ctx); err != nil {
		t.Fatal(err)
	}
	proxy.stall()
	err := st.Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "the database sent nothing for 500ms") {
		t.Fatalf("a read from a frozen database: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the read waited for the test's own deadline")
	}
}
