package server

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
)

// listUpstream answers the model list from a script, counting the asks.
type listUpstream struct {
	Upstream
	mu    sync.Mutex
	asked int
	fail  bool
	model string        // the listed model's id (default qwen3-max)
	hold  chan struct{} // when set, an ask waits for it to close (Qwen hangs)
	held  chan struct{} // when set, told (closed) once an ask is waiting on hold
}

func (u *listUpstream) Models(context.Context) ([]qwen.Model, error) {
	u.mu.Lock()
	u.asked++
	hold, held, fail, id := u.hold, u.held, u.fail, u.model
	u.mu.Unlock()
	if hold != nil {
		if held != nil {
			close(held)
		}
		<-hold
	}
	if fail {
		return nil, &qwen.Error{Kind: qwen.KindServer, Message: "model list unavailable"}
	}
	if id == "" {
		id = "qwen3-max"
	}
	m := qwen.Model{ID: id}
	m.Info.IsActive = true
	return []qwen.Model{m}, nil
}

func (u *listUpstream) set(f func(u *listUpstream)) {
	u.mu.Lock()
	defer u.mu.Unlock()
	f(u)
}

func (u *listUpstream) asks() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.asked
}

// expire makes m's list (or its last failure) old enough to be asked for
// again.
func (m *modelCache) expire() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fetched = m.fetched.Add(-2 * m.ttl)
	m.failed = m.failed.Add(-modelRetryAfter)
}

// settle waits for the fetch in flight, if any.
func (m *modelCache) settle() {
	m.mu.Lock()
	done := m.fetching
	m.mu.Unlock()
	if done != nil {
		<-done
	}
}

// A model list Qwen fails to give is not asked for again by every call
// (each chat call reads it for the model's capabilities, and waited for its
// own failing fetch): the failure is remembered for modelRetryAfter.
func TestModelListFailureIsNotRefetchedByEveryCall(t *testing.T) {
	up := &listUpstream{fail: true}
	m := newModelCache(up, time.Minute)
	for range 3 {
		if _, err := m.capabilities(context.Background()); err == nil {
			t.Fatal("a failed model list gave no error")
		}
	}
	if n := up.asks(); n != 1 {
		t.Fatalf("three calls asked for a failing model list %d times, want 1", n)
	}
	m.expire() // the retry is due
	up.set(func(u *listUpstream) { u.fail = false })
	caps, err := m.capabilities(context.Background())
	if err != nil || up.asks() != 2 {
		t.Fatalf("after modelRetryAfter: %v, asked %d times, want a new fetch", err, up.asks())
	}
	if _, ok := caps["qwen3-max"]; !ok {
		t.Fatalf("capabilities %v lack the fetched model", caps)
	}
}

// A list held from before is served while Qwen fails, and the failing fetch
// is tried again only after modelRetryAfter.
func TestStaleModelListServedWhileQwenFails(t *testing.T) {
	up := &listUpstream{}
	m := newModelCache(up, time.Minute)
	if _, err := m.get(context.Background()); err != nil {
		t.Fatal(err)
	}
	m.expire()
	up.set(func(u *listUpstream) { u.fail = true })
	for range 3 {
		list, err := m.get(context.Background())
		if err != nil || len(list) == 0 {
			t.Fatalf("stale list not served: %v, %v", list, err)
		}
		m.settle()
	}
	if n := up.asks(); n != 2 {
		t.Fatalf("asked %d times, want 2 (the first fetch and one failed refresh)", n)
	}
}

// Once a list is held, no call waits for the model list: an expired one is
// served at once while a single fetch renews it, even when Qwen's model
// list hangs (a refresh on the call's path held every chat call, behind
// the cache's lock, until the upstream timeout).
func TestExpiredModelListIsRenewedWithoutHoldingCalls(t *testing.T) {
	up := &listUpstream{}
	m := newModelCache(up, time.Minute)
	if _, err := m.get(context.Background()); err != nil {
		t.Fatal(err)
	}
	hold, held := make(chan struct{}), make(chan struct{})
	up.set(func(u *listUpstream) { u.hold, u.held, u.model = hold, held, "qwen3.6-plus" })
	m.expire()
	for range 5 { // Qwen is not answering: each returns with the list held
		caps, err := m.capabilities(context.Background())
		if _, ok := caps["qwen3-max"]; err != nil || !ok {
			t.Fatalf("expired list not served while renewed: %v, %v", caps, err)
		}
	}
	<-held
	if n := up.asks(); n != 2 {
		t.Fatalf("five calls on an expired list asked %d times in all, want 2 (one renewal)", n)
	}
	close(hold)
	m.settle()
	caps, err := m.capabilities(context.Background())
	if _, ok := caps["qwen3.6-plus"]; err != nil || !ok {
		t.Fatalf("the renewed list is not served: %v, %v", caps, err)
	}
}

// With no list yet, a caller waits for the fetch only as long as its own
// context lasts; the fetch goes on for the callers after it.
func TestFirstModelListWaitIsBoundedByTheCaller(t *testing.T) {
	hold := make(chan struct{})
	up := &listUpstream{hold: hold}
	m := newModelCache(up, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.get(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("a caller that left got %v, want context.Canceled", err)
	}
	close(hold)
	list, err := m.get(context.Background())
	if err != nil || len(list) != 1 || up.asks() != 1 {
		t.Fatalf("after the fetch: %v, %v, asked %d times, want the list from one fetch", list, err, up.asks())
	}
}
