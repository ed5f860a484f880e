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
	mgr, _ := newManager(t)
	var flushed atomic.Bool
	mgr.Bound(10, func(context.Context) bool { return flushed.Load() })
	var buf logtest.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	ctx := context.Background()
	var chats atomic.Int32
	for i := range 30 {
		turn, err := mgr.Begin(ctx, Request{NewChat: newChat(&chats)})
		if err != nil {
			t.Fatal(err)
		}
		turn.Advance(fmt.Sprint("p", i), fmt.Sprint("K", i), nil)
		turn.Release()
		mgr.evictOverflow(ctx, log) // as the cleanup loop does each time the bound is passed
	}
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
	mgr, _ := newManager(t)
	var flushed atomic.Bool
	mgr.Bound(10, func(context.Context) bool { return flushed.Load() })
	var buf logtest.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	ctx := context.Background()
	var chats atomic.Int32
	var ids []string
	for i := range 100 {
		turn, err := mgr.Begin(ctx, Request{NewChat: newChat(&chats)})
		if err != nil {
			t.Fatal(err)
		}
		turn.Advance(fmt.Sprint("p", i), fmt.Sprint("K", i), nil)
		turn.Release()
		ids = append(ids, turn.Session.ID)
		mgr.evictOverflow(ctx, log) // as the cleanup loop does each time the bound is passed
		if n := mgr.Cached(); n > 10*unwrittenBound {
			t.Fatalf("%d sessions in memory after %d conversations of an outage, at most %d", n, i+1, 10*unwrittenBound)
		}
	}
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
