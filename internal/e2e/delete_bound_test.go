package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
)

// The history API's deletes on a PostgreSQL server that stops answering
// mid-delete: each batch (each transaction a delete runs) waits at most
// HISTORY_READ_TIMEOUT, and the delete is a 503 database_error then —
// saying how many calls it deleted when some batches had committed — its
// batch under way rolled back, and the same delete made once the database
// answers again completes. Until 2026-12-06 the deletes had no bound: such a
// delete held its request and a pool connection for ever.
func TestHistoryDeletesOnAFrozenDatabaseEnd(t *testing.T) {
	e, db := startBehindRelay(t, nil, func(c *config.Config) { c.HistoryReadTimeout = writeBound })
	t.Cleanup(db.thaw)
	calls := func() int { return e.count(`SELECT COUNT(*) FROM requests`) }
	// twoCalls records two calls in a session of their own, and returns
	// the session's id and a time after both.
	twoCalls := func(t *testing.T) (session, after string) {
		t.Helper()
		header := map[string]string{}
		for _, q := range []string{"Delete me.", "And me."} {
			resp, body := chatCall(t, e, `{"model":"qwen3-max","messages":[{"role":"user","content":"`+q+`"}]}`, header)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("chat: %d %s", resp.StatusCode, body)
			}
			session = resp.Header.Get("X-Session-Id")
			header["X-Session-Id"] = session
		}
		e.sync()
		return session, strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10)
	}
	// freeze freezes the database as a statement holding marker is sent
	// (on connections made since the last thaw, so that its text is sent,
	// not a statement prepared before).
	freeze := func(t *testing.T, marker string) {
		t.Helper()
		e.sync()
		db.thaw()
		db.freezeOn(marker)
		t.Cleanup(db.thaw) // also when the subtest fails
	}

	for _, c := range []struct {
		name   string
		frozen string // the statement the database stops answering at
		path   func(session, after string) string
		// deleted is how many calls the delete had deleted when the
		// database stopped answering (0: nothing, the plain 503), and
		// left how many it left.
		deleted, left int
	}{
		{"a session", "INSERT INTO deleted_sessions",
			func(session, _ string) string { return "/v1/sessions/" + session }, 0, 2},
		{"calls before a time, at a batch's start", "SELECT id, timestamp FROM requests WHERE timestamp <",
			func(_, after string) string { return "/v1/requests?before=" + after }, 0, 2},
		{"calls before a time, in a batch", "DELETE FROM requests WHERE id IN",
			func(_, after string) string { return "/v1/requests?before=" + after }, 0, 2},
		{"calls before a time, its sessions left empty", "DELETE FROM sessions WHERE created_at <",
			func(_, after string) string { return "/v1/requests?before=" + after }, 2, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Each subtest on a history of its two calls alone, also when
			// one before it failed.
			if status, got := getJSON(t, e, http.MethodDelete, "/v1/requests?before="+strconv.FormatInt(time.Now().UnixMilli(), 10)); status != http.StatusOK {
				t.Fatalf("clearing the history: %d %v", status, got)
			}
			session, after := twoCalls(t)
			path := c.path(session, after)
			freeze(t, c.frozen)
			code, body := boundedCall(t, e, http.MethodDelete, path, "", nil)
			if code != http.StatusServiceUnavailable || !strings.Contains(body, `"code":"database_error"`) {
				t.Fatalf("DELETE %s on a database that stopped answering: %d %s, want 503 database_error", path, code, body)
			}
			if part := strconv.Itoa(c.deleted) + " calls deleted"; c.deleted > 0 && !strings.Contains(body, part) {
				t.Fatalf("a delete stopped part way: %s, want it to say %q", body, part)
			}
			db.thaw()
			// The batch under way was rolled back: nothing half-deleted,
			// and the lists' totals (kept counts) agree with the rows.
			if n := calls(); n != c.left {
				t.Fatalf("after the delete refused with 503: %d calls, want %d", n, c.left)
			}
			if status, got := getJSON(t, e, http.MethodGet, "/v1/requests"); status != http.StatusOK || num(got["total"]) != c.left {
				t.Fatalf("the list after the delete refused with 503: %d %v, want %d calls", status, got, c.left)
			}
			status, got := getJSON(t, e, http.MethodDelete, path)
			if status != http.StatusOK {
				t.Fatalf("DELETE %s once the database answers again: %d %v", path, status, got)
			}
			if n := calls(); n != 0 {
				t.Fatalf("after the delete made again: %d calls, want none", n)
			}
			if n := e.count(`SELECT COUNT(*) FROM sessions WHERE id = ?`, session); n != 0 {
				t.Fatalf("after the delete made again: its session is left")
			}
		})
	}
	logs := e.logs()
	if !strings.Contains(logs, "HISTORY_READ_TIMEOUT") || !strings.Contains(logs, `msg="history delete stopped part way" deleted=2`) {
		t.Fatalf("the bound or the delete stopped part way is not in the log:\n%s", logs)
	}
}
