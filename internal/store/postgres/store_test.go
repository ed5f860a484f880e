package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/storetest"
)

func TestRebindNumbersPlaceholdersOutsideQuotes(t *testing.T) {
	got := postgres.Rebind(`SELECT '?', x FROM t WHERE a = ? AND b LIKE ? ESCAPE '\' AND c = NULLIF(?, '')`)
	want := `SELECT '?', x FROM t WHERE a = $1 AND b LIKE $2 ESCAPE '\' AND c = NULLIF($3, '')`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// A session's lock holds across stores on one database, as across proxy
// instances: a second turn waits until the first releases it.
func TestSessionLockHoldsAcrossStores(t *testing.T) {
	dbURL := storetest.PostgresSchema(t)
	a, b := storetest.Open(t, dbURL), storetest.Open(t, dbURL)
	ctx := context.Background()
	held, err := a.Locker().LockSession(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := held.Session(ctx); !errors.Is(err, qp.ErrNotFound) {
		t.Fatalf("unsaved session: %v", err)
	}
	now := time.UnixMilli(time.Now().UnixMilli())
	saved := qp.Session{ID: "s1", ChatID: "c1", ParentID: "p1", FirstUserMessage: "hi", MessageCount: 1, CreatedAt: now, LastAccessed: now, ExpiresAt: now.Add(time.Hour),
		LastCallIDs: []string{"call_a", "call_b"}}
	if err := held.Save(ctx, saved); err != nil {
		t.Fatal(err)
	}
	// While a holds it, b's attempt ends only with its context.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := b.Locker().LockSession(short, "s1"); err == nil {
		t.Fatal("a second store took a held session lock")
	}
	other, err := b.Locker().LockSession(ctx, "s2") // another session is free
	if err != nil {
		t.Fatal(err)
	}
	other.Unlock()
	held.Unlock()
	next, err := b.Locker().LockSession(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	defer next.Unlock()
	got, err := next.Session(ctx)
	if err != nil || !reflect.DeepEqual(*got, saved) {
		t.Fatalf("after the first turn: %+v %v, want %+v", got, err, saved)
	}
}

// Turns in progress hold session locks on connections of their own: with
// every lock connection taken, the recorder still writes and reads still
// answer, and only the next turn waits.
func TestHeldSessionLocksLeaveWritesFree(t *testing.T) {
	ctx := context.Background()
	st, err := postgres.Open(ctx, storetest.PostgresSchema(t), postgres.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	held, err := st.Locker().LockSession(ctx, "busy")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()
	bounded, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	now := time.Now()
	call := qp.Exchange{Request: qp.Request{RequestID: "r1", Timestamp: now, Method: "POST", Path: "/v1/chat/completions", Model: "m"},
		Response: qp.Response{ResponseID: "p1", Timestamp: now, Status: qp.StatusSuccess, HTTPStatus: 200}}
	if err := st.WriteExchanges(bounded, []qp.Exchange{call}); err != nil {
		t.Fatalf("write while every lock connection is held: %v", err)
	}
	if _, err := st.Request(bounded, "r1"); err != nil {
		t.Fatalf("read while every lock connection is held: %v", err)
	}
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	if _, err := st.Locker().LockSession(short, "other"); err == nil {
		t.Fatal("a lock beyond DATABASE_MAX_CONNS did not wait")
	}
}

// pgx takes the password from the URL's query as well as from its user
// part: neither may reach a message. Open's error names the database the way
// the "database ready" log line does (the store's String).
func TestRedactHidesEveryPasswordOfTheURL(t *testing.T) {
	for _, raw := range []string{
		"postgres://u:hunter2@127.0.0.1:1/db",
		"postgres://u@127.0.0.1:1/db?password=hunter2&connect_timeout=1",
		"postgresql://u@127.0.0.1:1/db?sslpassword=hunter2&connect_timeout=1",
		"postgres://u@127.0.0.1:1/db?connect_timeout=1&Password=hunter2",
	} {
		if got := postgres.Redact(raw); strings.Contains(got, "hunter2") || !strings.Contains(got, "127.0.0.1:1/db") {
			t.Errorf("Redact(%q) = %q", raw, got)
		}
		_, err := postgres.Open(context.Background(), raw, postgres.Options{})
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q): %v", raw, err)
		}
	}
}

// A search_path in which no schema exists failed every command with
// PostgreSQL's "no schema has been selected to create in (SQLSTATE 3F000)",
// naming neither the setting nor the cure: Open says both.
func TestOpenRefusesASearchPathWithoutASchema(t *testing.T) {
	u, err := url.Parse(storetest.PostgresSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", "no_such_schema")
	u.RawQuery = q.Encode()
	st, err := postgres.Open(context.Background(), u.String(), postgres.Options{})
	if err == nil {
		st.Close()
		t.Fatal("opened a database whose search_path names no schema")
	}
	if msg := err.Error(); !strings.Contains(msg, `search_path "no_such_schema"`) || !strings.Contains(msg, "CREATE SCHEMA") {
		t.Fatalf("error does not name the setting and the cure: %v", err)
	}
	if pw, ok := u.User.Password(); ok && strings.Contains(err.Error(), ":"+pw+"@") {
		t.Fatalf("error shows the password: %v", err)
	}
}
