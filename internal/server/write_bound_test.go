package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	qp "qwenproxy"
)

// lockingConversations is conv_1 with its lock, on a database that may
// stop answering: while frozen, each call does at the database what it
// does, and its answer never comes (a PostgreSQL server that stopped
// answering after the statement ran) — the lock is taken, but its taker
// does not know it; a release does not get there.
type lockingConversations struct {
	fakeConversations
	thaw     chan struct{} // closed: the database answers again
	mu       sync.Mutex
	holder   string        // the lock's token; "" when free
	released chan struct{} // closed when a held lock is let go
	added    int           // entries added
	// lockAnswered: the lock's taking is answered, frozen or not.
	lockAnswered bool
}

func newLockingConversations() *lockingConversations {
	return &lockingConversations{thaw: make(chan struct{}), released: make(chan struct{})}
}

// frozen waits, while the database does not answer, for ctx's end, and
// returns its cause; nil once it answers.
func (c *lockingConversations) frozen(ctx context.Context) error {
	select {
	case <-c.thaw:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (c *lockingConversations) LockConversation(ctx context.Context, id, token string, now, until time.Time) error {
	c.mu.Lock()
	if c.holder == "" {
		c.holder = token
	}
	held, answered := c.holder == token, c.lockAnswered
	c.mu.Unlock()
	if !answered {
		if err := c.frozen(ctx); err != nil {
			return err
		}
	}
	if !held {
		return qp.ErrConversationLocked
	}
	return nil
}

func (c *lockingConversations) UnlockConversation(ctx context.Context, id, token string) error {
	if err := c.frozen(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holder == token {
		c.holder = ""
		close(c.released)
	}
	return nil
}

func (c *lockingConversations) AddConversationEntries(ctx context.Context, id string, entries []qp.ConversationEntry) error {
	if err := c.frozen(ctx); err != nil {
		return err // rolled back: nothing added
	}
	c.mu.Lock()
	c.added += len(entries)
	c.mu.Unlock()
	return nil
}

// serveConversations serves the API on the conversations c, its database
// calls bounded at HISTORY_READ_TIMEOUT 100 ms.
func serveConversations(t *testing.T, c qp.ConversationStore) *httptest.Server {
	t.Helper()
	h := &fakeHistory{}
	s := New(Config{HistoryReadTimeout: 100 * time.Millisecond, RecordBodies: true},
		Deps{Upstream: noUpstream{}, History: h, ResponseObjects: h, Conversations: c, Recorder: syncedRecorder{}, Log: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(s.StopReleases) // after the server's close (cleanups run last first)
	return srv
}

// letGo waits for c's lock to be let go, for at most 10 s (a try each
// second): left to its lease, it would be held eleven minutes.
func letGo(t *testing.T, c *lockingConversations, what string) {
	t.Helper()
	select {
	case <-c.released:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s was not let go once the database answered: it waits for its lease", what)
	}
}

// A conversation's lock taken on a database that then stopped answering
// (the statement ran, its answer never came) was held until its lease ran
// out, eleven minutes at least, every call in the conversation refused
// with conversation_locked once the database answered again; and the
// taking waited for as long as the client did. It fails at the bound now,
// and the lock it may have taken is let go once the database answers. So
// with the lock of a write the database did not answer: the write fails at
// the bound, adds nothing, and the lock, whose letting go did not get there
// either, is let go once the database answers.
func TestAConversationLockTheDatabaseDidNotAnswerIsLetGo(t *testing.T) {
	for _, lockAnswered := range []bool{false, true} {
		what := "the lock taken unanswered"
		if lockAnswered {
			what = "the lock of a write unanswered"
		}
		t.Run(what, func(t *testing.T) {
			c := newLockingConversations()
			c.lockAnswered = lockAnswered
			srv := serveConversations(t, c)
			code, body := boundedCall(t, srv, http.MethodPost, "/v1/conversations/conv_1/items", `{"items":[{"role":"user","content":"hi"}]}`)
			if code != http.StatusServiceUnavailable || !strings.Contains(body, `"code":"database_unavailable"`) {
				t.Fatalf("items added: %d %s, want 503 database_unavailable", code, body)
			}
			c.mu.Lock()
			holder, added := c.holder, c.added
			c.mu.Unlock()
			if holder == "" || added != 0 {
				t.Fatalf("the fake database: holder %q, %d entries added; want the lock held and nothing added", holder, added)
			}
			close(c.thaw)
			letGo(t, c, what)
		})
	}
}
