package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store"
	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/storetest"
)

// A setting an operator changes on the server (ALTER ROLE … SET
// statement_timeout, to undo one that made every write time out) reaches
// only new connections, and the pools kept theirs for as long as the
// process ran: the recorder went on spooling and /health/ready stayed 503
// until a restart. Connections are replaced after a bounded life, so the
// pool comes to connections opened after the change.
func TestPooledConnectionsAreReplacedAfterTheirLifetime(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dbURL, name := withAppName(t, storetest.PostgresSchema(t), "lifetime_")
	st := storetest.OpenWith(t, dbURL, store.Options{Postgres: postgres.Options{MaxConns: 1, ConnMaxLifetime: 50 * time.Millisecond}})
	admin, err := sql.Open("pgx", os.Getenv(storetest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var opened time.Time // when the server opened our newest connection
	backends := func() time.Time {
		var newest sql.NullTime
		if err := admin.QueryRowContext(ctx, `SELECT MAX(backend_start) FROM pg_stat_activity WHERE application_name = $1`, name).Scan(&newest); err != nil {
			t.Fatal(err)
		}
		return newest.Time
	}
	use := func() {
		held, err := st.Locker().LockSession(ctx, "s1")
		if err != nil {
			t.Fatal(err)
		}
		held.Unlock()
		if _, err := st.Request(ctx, "r1"); !errors.Is(err, qp.ErrNotFound) {
			t.Fatal(err)
		}
	}
	use()
	opened = backends()
	for { // in use all along, as under load: used, they still age out
		use()
		if backends().After(opened) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the pools kept their connections: a server setting changed since they opened never reaches them")
		case <-time.After(10 * time.Millisecond): // polling the server's own view, bounded by ctx
		}
	}
}
