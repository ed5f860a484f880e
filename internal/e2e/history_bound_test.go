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

// startFrozen is a proxy on PostgreSQL through a relay to freeze
// (relay.freezeOn), its history reads bounded at 2 s.
func startFrozen(t *testing.T) (*env, *relay) {
	t.Helper()
	e, db := startBehindRelay(t, nil, func(c *config.Config) { c.HistoryReadTimeout = 2 * time.Second })
	t.Cleanup(db.thaw) // before the proxy stops (cleanups run last first): its writes fail rather than wait
	return e, db
}

// within makes a request within the test's own bound (a minute, far past
// the reads' 2 s), which a read without a bound waited for.
func within(t *testing.T, e *env, method, path, body string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.app.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s on a database that stopped answering: %v (no HISTORY_READ_TIMEOUT)", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// requestRead is the text of the store's read of one call (Request), which
// the Responses API's lookups make.
const requestRead = "request_bodies qb ON qb.request_id = q.id WHERE q.request_id"

// GET /v1/responses/{id} under way when PostgreSQL stopped answering waited
// for as long as its client did, holding a pool connection: the Responses
// API read the history without HISTORY_READ_TIMEOUT. It is a 503 in
// OpenAI's format at the bound now.
func TestARetrievedResponseOnADatabaseThatStopsAnsweringEnds(t *testing.T) {
	e, relay := startFrozen(t)
	id, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":"Remember: the password is swordfish."}`)
	e.sync()
	relay.freezeOn(requestRead)
	code, body := within(t, e, http.MethodGet, "/v1/responses/"+id, "")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"code":"database_unavailable"`) {
		t.Fatalf("a response read on a database that stopped answering: %d %s, want 503 database_unavailable", code, body)
	}
	if !strings.Contains(e.logs(), "HISTORY_READ_TIMEOUT") {
		t.Fatalf("the read's bound is not in the log:\n%s", e.logs())
	}
}

// A turn continued by previous_response_id whose Qwen chat is gone tells a
// new chat the conversation, read back from the stored responses. On a
// PostgreSQL server that stopped answering under that read the turn waited
// for as long as its client did; and a read that failed left the new chat
// told nothing, the model answering as if the conversation had not been.
// The turn now fails at the bound, 503 database_unavailable.
func TestATurnWhoseEarlierTurnsCannotBeReadFails(t *testing.T) {
	e, relay := startFrozen(t)
	id, _ := answeredResponse(t, e, `{"model":"qwen3-max","input":"Remember: the password is swordfish."}`)
	e.sync()
	e.sim.ForgetChats()
	relay.freezeOn(requestRead)
	code, body := within(t, e, http.MethodPost, "/v1/responses", `{"model":"qwen3-max","input":"What is the password?","previous_response_id":"`+id+`"}`)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"code":"database_unavailable"`) {
		t.Fatalf("a turn whose earlier turns could not be read: %d %s, want 503 database_unavailable", code, body)
	}
}

// So with a response in a conversation: a new chat is told the
// conversation's responses, read back from their records.
func TestAConversationTurnWhoseEarlierTurnsCannotBeReadFails(t *testing.T) {
	e, relay := startFrozen(t)
	code, body := within(t, e, http.MethodPost, "/v1/conversations", `{}`)
	var conv struct{ ID string }
	if err := json.Unmarshal([]byte(body), &conv); code != http.StatusOK || err != nil || conv.ID == "" {
		t.Fatalf("a conversation: %d %s", code, body)
	}
	answeredResponse(t, e, `{"model":"qwen3-max","conversation":"`+conv.ID+`","input":"Remember: the password is swordfish."}`)
	e.sync()
	e.sim.ForgetChats()
	relay.freezeOn(requestRead)
	code, body = within(t, e, http.MethodPost, "/v1/responses", `{"model":"qwen3-max","conversation":"`+conv.ID+`","input":"What is the password?"}`)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"code":"database_unavailable"`) {
		t.Fatalf("a conversation's turn whose earlier turns could not be read: %d %s, want 503 database_unavailable", code, body)
	}
}
