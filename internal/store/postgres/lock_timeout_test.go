package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	qp "qwenproxy"
	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/storetest"
)

// A table locked by someone else (an operator's LOCK TABLE, VACUUM FULL, a
// hand-run ALTER) held the recorder's batch until the writer gave up (30
// s), and with RECORDER_SYNC every call's answer with it; SQLite's writes
// give up after DATABASE_BUSY_TIMEOUT and their records go to the spool.
// The write pool's lock_timeout is that same bound: the batch fails with
// PostgreSQL's lock_not_available while the lock is still held.
func TestAWriteGivesUpOnALockedTableAfterTheBusyTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	raw := storetest.PostgresSchema(t)
	st, err := postgres.Open(ctx, raw, postgres.Options{MaxConns: 1, LockTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", os.Getenv(storetest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	tx, err := admin.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	schema := u.Query().Get("search_path")
	if _, err := tx.ExecContext(ctx, `LOCK TABLE "`+schema+`".requests IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	err = st.WriteBatch(ctx, qp.Batch{Exchanges: []qp.Exchange{{
		Request:  qp.Request{RequestID: "locked-1", Timestamp: now, Method: "POST", Path: "/v1/chat/completions"},
		Response: qp.Response{ResponseID: "locked-1r", Timestamp: now, Status: qp.StatusSuccess},
	}}})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "55P03" {
		t.Fatalf("a write under another's lock: %v; want PostgreSQL's lock_not_available (55P03) while the lock is held", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteBatch(ctx, qp.Batch{Exchanges: []qp.Exchange{{
		Request:  qp.Request{RequestID: "locked-2", Timestamp: now, Method: "POST", Path: "/v1/chat/completions"},
		Response: qp.Response{ResponseID: "locked-2r", Timestamp: now, Status: qp.StatusSuccess},
	}}}); err != nil {
		t.Fatalf("the same write once the lock went: %v", err)
	}
}
