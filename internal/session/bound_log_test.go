package session

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"qwenproxy/internal/logtest"
)

// Sessions over the memory bound that cannot go (the database refuses
// writes) are logged when that begins and when they go again, not at every
// eviction tried: with the database file deleted under a server taking 1,000
// calls a second, every call over the bound tried one, and the warning was
// logged 38 times in seven seconds, each the same.
func TestSessionsOverTheBoundThatCannotGoAreLoggedOnce(t *testing.T) {
	mgr, flushed, buf, log := boundedOutage(t)
	ctx := context.Background()
	converse(t, mgr, log, 30, func(int, string) {})
	if n := strings.Count(buf.String(), "sessions over the memory bound stay in memory"); n != 1 {
		t.Fatalf("logged %d times, want once:\n%s", n, buf.String())
	}
	flushed.Store(true)
	mgr.evictOverflow(ctx, log)
	if n := mgr.Cached(); n > 10 {
		t.Fatalf("%d sessions in memory once the database took them, bound 10", n)
	}
	if !strings.Contains(buf.String(), "sessions over the memory bound are evicted again") {
		t.Fatalf("the end of the fault is not logged:\n%s", buf.String())
	}
}

// While the database takes no writes, sessions stay past the memory bound,
// but not past unwrittenBound times it: the least recently used go even so,
// the newest stay, and that is logged once while it lasts. Memory held every
// session of an outage (11,000 in ten seconds at 1,000 new conversations a
// second), without end.
func TestSessionsOfAnOutageAreBoundedToo(t *testing.T) {
	mgr, flushed, buf, log := boundedOutage(t)
	ctx := context.Background()
	var ids []string
	converse(t, mgr, log, 100, func(i int, id string) {
		ids = append(ids, id)
		if n := mgr.Cached(); n > 10*unwrittenBound {
			t.Fatalf("%d sessions in memory after %d conversations of an outage, at most %d", n, i+1, 10*unwrittenBound)
		}
	})
	mgr.mu.Lock()
	_, newest := mgr.cache[ids[99]]
	_, oldest := mgr.cache[ids[0]]
	mgr.mu.Unlock()
	if !newest || oldest {
		t.Errorf("the newest conversation in memory: %v, the oldest: %v; want the newest kept, the oldest gone", newest, oldest)
	}
	if n := strings.Count(buf.String(), "sessions leave memory before the database has their state"); n != 1 {
		t.Fatalf("logged %d times, want once:\n%s", n, buf.String())
	}
	flushed.Store(true)
	mgr.evictOverflow(ctx, log)
	if n := mgr.Cached(); n > 10 {
		t.Fatalf("%d sessions in memory once the database took them, bound 10", n)
	}
	if !strings.Contains(buf.String(), "sessions leave memory only once the database has their state again") {
		t.Fatalf("the end of the fault is not logged:\n%s", buf.String())
	}
}

// boundedOutage is a manager bounded to 10 sessions whose database takes no
// writes until flushed is set, logging to buf.
func boundedOutage(t *testing.T) (*Manager, *atomic.Bool, *logtest.Buffer, *slog.Logger) {
	mgr, _ := newManager(t)
	flushed := new(atomic.Bool)
	mgr.Bound(10, func(context.Context) bool { return flushed.Load() })
	buf := new(logtest.Buffer)
	return mgr, flushed, buf, slog.New(slog.NewTextHandler(buf, nil))
}

// converse opens n conversations of one answered turn each, trying an
// eviction after each as the cleanup loop does each time the bound is
// passed, and calls after with each one's index and session id.
func converse(t *testing.T, mgr *Manager, log *slog.Logger, n int, after func(i int, id string)) {
	t.Helper()
	ctx := context.Background()
	var chats atomic.Int32
	for i := range n {
		turn, err := mgr.Begin(ctx, Request{NewChat: newChat(&chats)})
		if err != nil {
			t.Fatal(err)
		}
		turn.Advance(fmt.Sprint("p", i), fmt.Sprint("K", i), nil, nil)
		turn.Release()
		mgr.evictOverflow(ctx, log)
		after(i, turn.Session.ID)
	}
}
