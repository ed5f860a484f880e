package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
)

// The Responses and Conversations APIs' writes, and the conversation's
// lock, on a database that stops answering: each fails with 503
// database_unavailable at HISTORY_READ_TIMEOUT, as the reads do, leaves
// nothing half-done, and the conversation works again once the database
// answers (the lock is not left held until its lease runs out, minutes).
// Until 2026-12-06 they had no bound: a turn in a conversation answered
// after ~22 s, or never once a statement was under way when PostgreSQL
// froze (its append to the conversation waited without its client's end).

// writeBound is HISTORY_READ_TIMEOUT in these tests.
const writeBound = 2 * time.Second

// answeredBy is the deadline of a call on a database that stopped
// answering: the bound of the one database call that fails, and a margin
// for the calls that succeeded before it, the answer and a loaded machine —
// well short of the 20 s a pool's ping of a frozen server takes, and of the
// for ever a statement under way waited.
const answeredBy = writeBound + 6*time.Second

// boundedCall makes a request whose client gives up at answeredBy, failing
// the test then: the call waited for the database past its bound.
func boundedCall(t *testing.T, e *env, method, path, body string, header map[string]string) (int, string) {
	t.Helper()
	return callBy(t, e, answeredBy, method, path, body, header)
}

// callBy makes a request whose client gives up at by.
func callBy(t *testing.T, e *env, by time.Duration, method, path, body string, header map[string]string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), by)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.app.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s on a database that stopped answering: %v (no bound on its database calls); the log:\n%s", method, path, err, e.logs())
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s on a database that stopped answering: %v (no bound on its database calls)", method, path, err)
	}
	return resp.StatusCode, string(b)
}

// wantUnavailable fails unless the answer is OpenAI's 503
// database_unavailable.
func wantUnavailable(t *testing.T, what string, code int, body string) {
	t.Helper()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"code":"database_unavailable"`) {
		t.Fatalf("%s on a database that stopped answering: %d %s, want 503 database_unavailable", what, code, body)
	}
}

// untilFree makes a call until it is not refused as conversation_locked, as
// a client told "retry in a few seconds" does, for at most 15 s: a lock its
// failed call could not let go is let go once the database answers, not
// when its lease runs out (11 minutes).
func untilFree(t *testing.T, e *env, method, path, body string) (int, string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, b := convCall(t, e, method, path, "", body, nil)
		if !strings.Contains(b, "conversation_locked") {
			return code, b
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s: still locked 15 s after the database answered again: %s", method, path, b)
		}
		time.Sleep(100 * time.Millisecond) // a client's retry, not a synchronisation
	}
}

// newConversation makes a conversation with items (JSON, "" for none).
func newConversation(t *testing.T, e *env, items string) string {
	t.Helper()
	body := `{}`
	if items != "" {
		body = `{"items":` + items + `}`
	}
	var c convObject
	if code, b := convCall(t, e, "POST", "/v1/conversations", "", body, &c); code != http.StatusOK || c.ID == "" {
		t.Fatalf("a conversation: %d %s", code, b)
	}
	return c.ID
}

const twoItems = `[{"type":"message","role":"user","content":"one"},{"type":"message","role":"user","content":"two"}]`

func TestConversationWritesOnAFrozenDatabaseEnd(t *testing.T) {
	e, db := startBehindRelay(t, nil, func(c *config.Config) { c.HistoryReadTimeout = writeBound })
	t.Cleanup(db.thaw)
	entries := func(conv string) int {
		return e.count(`SELECT COUNT(*) FROM conversation_entries WHERE conversation_id = ?`, conv)
	}
	// freeze freezes the database as a statement holding marker is sent
	// (each runs on connections made since the last thaw, so that its text
	// is sent, not a statement prepared before).
	freeze := func(t *testing.T, marker string) {
		t.Helper()
		e.sync()
		db.thaw()
		db.freezeOn(marker)
		t.Cleanup(db.thaw) // also when the subtest fails
	}

	t.Run("a turn's append", func(t *testing.T) {
		conv := newConversation(t, e, "")
		freeze(t, "INSERT INTO conversation_entries")
		code, body := boundedCall(t, e, "POST", "/v1/responses", `{"model":"qwen3-max","conversation":"`+conv+`","input":"Remember: the password is swordfish."}`, nil)
		wantUnavailable(t, "a turn whose answer could not be added to its conversation", code, body)
		db.thaw()
		if n := entries(conv); n != 0 {
			t.Fatalf("the failed turn left %d entries in its conversation", n)
		}
		code, body = untilFree(t, e, "POST", "/v1/responses", `{"model":"qwen3-max","conversation":"`+conv+`","input":"What is the password?"}`)
		if code != http.StatusOK {
			t.Fatalf("the conversation's next turn: %d %s", code, body)
		}
		if n := entries(conv); n != 1 {
			t.Fatalf("after the next turn: %d entries, want its response's alone", n)
		}
	})

	t.Run("the session lock's wait", func(t *testing.T) {
		// The session's lock (PostgreSQL's advisory lock) has its own
		// bound, not HISTORY_READ_TIMEOUT: its wait is asked for in slices
		// of 10 s the server ends, and one unanswered 5 s past its end
		// fails the turn.
		conv := newConversation(t, e, "")
		freeze(t, "pg_advisory_lock(")
		code, body := callBy(t, e, 15*time.Second+answeredBy, "POST", "/v1/responses", `{"model":"qwen3-max","conversation":"`+conv+`","input":"hello"}`, nil)
		wantUnavailable(t, "a turn whose session lock's wait went unanswered", code, body)
		db.thaw()
		code, body = untilFree(t, e, "POST", "/v1/responses", `{"model":"qwen3-max","conversation":"`+conv+`","input":"hello again"}`)
		if code != http.StatusOK {
			t.Fatalf("the conversation's next turn: %d %s", code, body)
		}
	})

	// Items added while the conversation's lock cannot be taken, and while
	// their entries cannot be written.
	for _, c := range []struct{ name, frozen string }{
		{"the lock's taking", "locked_until <= "},
		{"items added", "INSERT INTO conversation_entries"},
	} {
		t.Run(c.name, func(t *testing.T) {
			conv := newConversation(t, e, "")
			freeze(t, c.frozen)
			code, body := boundedCall(t, e, "POST", "/v1/conversations/"+conv+"/items", `{"items":`+twoItems+`}`, nil)
			wantUnavailable(t, c.name, code, body)
			db.thaw()
			if n := entries(conv); n != 0 {
				t.Fatalf("items refused with 503 left %d entries", n)
			}
			if code, body := untilFree(t, e, "POST", "/v1/conversations/"+conv+"/items", `{"items":`+twoItems+`}`); code != http.StatusOK {
				t.Fatalf("items added once the database answers: %d %s", code, body)
			}
			if n := entries(conv); n != 2 {
				t.Fatalf("%d entries, want the two items added once", n)
			}
		})
	}

	t.Run("an item deleted", func(t *testing.T) {
		conv := newConversation(t, e, twoItems)
		items := listAll(t, e, conv, "asc", 20)
		freeze(t, "AND entry_id = ")
		code, body := boundedCall(t, e, "DELETE", "/v1/conversations/"+conv+"/items/"+items[0].ID, "", nil)
		wantUnavailable(t, "an item deleted", code, body)
		db.thaw()
		if n := entries(conv); n != 2 {
			t.Fatalf("an item delete refused with 503: %d entries, want 2", n)
		}
		if code, body := untilFree(t, e, "DELETE", "/v1/conversations/"+conv+"/items/"+items[0].ID, ""); code != http.StatusOK {
			t.Fatalf("an item deleted once the database answers: %d %s", code, body)
		}
	})

	t.Run("a conversation made", func(t *testing.T) {
		before := e.count(`SELECT COUNT(*) FROM conversations`)
		freeze(t, "INSERT INTO conversations")
		code, body := boundedCall(t, e, "POST", "/v1/conversations", `{"items":`+twoItems+`}`, nil)
		wantUnavailable(t, "a conversation made", code, body)
		db.thaw()
		if n := e.count(`SELECT COUNT(*) FROM conversations`); n != before {
			t.Fatalf("a conversation refused with 503 was made: %d conversations, want %d", n, before)
		}
	})

	t.Run("a conversation updated", func(t *testing.T) {
		conv := newConversation(t, e, "")
		freeze(t, "SET metadata")
		code, body := boundedCall(t, e, "POST", "/v1/conversations/"+conv, `{"metadata":{"k":"v"}}`, nil)
		wantUnavailable(t, "a conversation updated", code, body)
		db.thaw()
	})

	t.Run("a conversation deleted", func(t *testing.T) {
		conv := newConversation(t, e, twoItems)
		freeze(t, "DELETE FROM conversations WHERE") // its entries' delete, in the same transaction, went before
		code, body := boundedCall(t, e, "DELETE", "/v1/conversations/"+conv, "", nil)
		wantUnavailable(t, "a conversation deleted", code, body)
		db.thaw()
		if n := entries(conv); n != 2 {
			t.Fatalf("a conversation delete refused with 503 left %d of its 2 entries", n)
		}
		if code, body := convCall(t, e, "DELETE", "/v1/conversations/"+conv, "", "", nil); code != http.StatusOK {
			t.Fatalf("a conversation deleted once the database answers: %d %s", code, body)
		}
	})

	t.Run("a response deleted", func(t *testing.T) {
		id, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":"hello"}`)
		freeze(t, "INSERT INTO deleted_responses")
		// Anthropic's envelope for a client that sends anthropic-version.
		code, body := boundedCall(t, e, "DELETE", "/v1/responses/"+id, "", map[string]string{"anthropic-version": "2023-06-01"})
		var env struct {
			Type  string
			Error struct{ Type, Message string }
		}
		if code != http.StatusServiceUnavailable || json.Unmarshal([]byte(body), &env) != nil || env.Type != "error" || !strings.Contains(body, "database") {
			t.Fatalf("a response deleted on a database that stopped answering: %d %s, want Anthropic's 503", code, body)
		}
		db.thaw()
		if code, body := convCall(t, e, "GET", "/v1/responses/"+id, "", "", nil); code != http.StatusOK {
			t.Fatalf("a response whose delete was refused with 503: %d %s", code, body)
		}
		if code, body := convCall(t, e, "DELETE", "/v1/responses/"+id, "", "", nil); code != http.StatusOK {
			t.Fatalf("a response deleted once the database answers: %d %s", code, body)
		}
	})
	if !strings.Contains(e.logs(), "HISTORY_READ_TIMEOUT") {
		t.Fatalf("the bound is not named in the log:\n%s", e.logs())
	}
}

// On SQLite a write waits DATABASE_BUSY_TIMEOUT for a file another process
// holds; on a request's path it waits HISTORY_READ_TIMEOUT at most.
func TestConversationWritesOnALockedSQLiteEnd(t *testing.T) {
	e := start(t, func(c *config.Config) {
		c.HistoryReadTimeout = writeBound
		c.DatabaseBusyTimeout = time.Minute
	})
	conv := newConversation(t, e, "")
	release := lockDatabase(t, e.cfg.DatabasePath)
	code, body := boundedCall(t, e, "POST", "/v1/conversations/"+conv+"/items", `{"items":`+twoItems+`}`, nil)
	wantUnavailable(t, "items added to a locked SQLite file", code, body)
	code, body = boundedCall(t, e, "POST", "/v1/responses", `{"model":"qwen3-max","conversation":"`+conv+`","input":"hello"}`, nil)
	wantUnavailable(t, "a turn in a conversation on a locked SQLite file", code, body)
	release()
	if code, body := untilFree(t, e, "POST", "/v1/conversations/"+conv+"/items", `{"items":`+twoItems+`}`); code != http.StatusOK {
		t.Fatalf("items added once the file is let go: %d %s", code, body)
	}
	if n := e.count(`SELECT COUNT(*) FROM conversation_entries WHERE conversation_id = ?`, conv); n != 2 {
		t.Fatalf("%d entries, want the two items added once", n)
	}
	if code, body := untilFree(t, e, "POST", "/v1/responses", `{"model":"qwen3-max","conversation":"`+conv+`","input":"hello"}`); code != http.StatusOK {
		t.Fatalf("a turn once the file is let go: %d %s", code, body)
	}
}
