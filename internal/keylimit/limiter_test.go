package keylimit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeStore is a KeyCallStore in memory whose every statement can be made
// to fail.
type fakeStore struct {
	mu      sync.Mutex
	limit   int
	calls   map[string]time.Time // call → expiry
	renewed []string
	fail    error
}

func (f *fakeStore) TakeKeyCall(_ context.Context, _, call string, now, expires time.Time) (bool, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return false, 0, f.fail
	}
	n := 0
	for _, exp := range f.calls {
		if exp.After(now) {
			n++
		}
	}
	if n >= f.limit {
		return false, f.limit, nil
	}
	f.calls[call] = expires
	return true, f.limit, nil
}

func (f *fakeStore) RenewKeyCalls(_ context.Context, calls []string, expires time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	for _, c := range calls {
		f.calls[c] = expires
		f.renewed = append(f.renewed, c)
	}
	return nil
}

func (f *fakeStore) EndKeyCall(_ context.Context, call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	delete(f.calls, call)
	return nil
}

// On one instance the count is in memory: up to the limit, each place given
// back once, an unknown call ignored.
func TestLocalCount(t *testing.T) {
	l := New(Options{})
	ctx := context.Background()
	for i, want := range []bool{true, true, false} {
		if ok, limit := l.Take(ctx, "k", string(rune('a'+i)), 2); ok != want || limit != 2 {
			t.Fatalf("take %d: %v %d", i, ok, limit)
		}
	}
	if ok, _ := l.Take(ctx, "other", "x", 1); !ok {
		t.Fatal("another key is held by this one's count")
	}
	l.Release("a")
	l.Release("a")     // twice: once counted
	l.Release("never") // never taken
	if ok, _ := l.Take(ctx, "k", "d", 2); !ok {
		t.Fatal("a place given back was not free")
	}
	if ok, _ := l.Take(ctx, "k", "e", 2); ok {
		t.Fatal("a place given back twice was counted twice")
	}
}

// With a store, the store's count and limit decide; the instance's calls'
// leases are renewed and ended there; a store that fails leaves each call
// to the local count, so the limit still holds on this instance.
func TestSharedCount(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	st := &fakeStore{limit: 1, calls: map[string]time.Time{}}
	l := New(Options{Store: st, Lease: 30 * time.Second, Now: func() time.Time { return now }})
	ctx := context.Background()
	if ok, limit := l.Take(ctx, "k", "a", 5); !ok || limit != 1 {
		t.Fatalf("first call: %v %d", ok, limit)
	}
	if ok, limit := l.Take(ctx, "k", "b", 5); ok || limit != 1 {
		t.Fatalf("a call over the stored limit of 1 (the cached 5 is stale): %v %d", ok, limit)
	}
	now = now.Add(20 * time.Second)
	l.Renew(ctx)
	if !slices.Equal(st.renewed, []string{"a"}) || !st.calls["a"].Equal(now.Add(30*time.Second)) {
		t.Fatalf("renewed %v, a expires %v", st.renewed, st.calls["a"])
	}
	l.Release("a")
	if len(st.calls) != 0 {
		t.Fatalf("an ended call's row stayed: %v", st.calls)
	}

	st.fail = errors.New("database gone")
	for i, want := range []bool{true, true, false} {
		if ok, limit := l.Take(ctx, "k", string(rune('x'+i)), 2); ok != want || limit != 2 {
			t.Fatalf("with the store failing, take %d: %v %d (want the local count against the cached limit)", i, ok, limit)
		}
	}
	st.fail = nil
	l.Release("x") // counted locally: no row to end, and the local place is back
	if ok, _ := l.Take(ctx, "k", "p", 2); !ok {
		t.Fatal("the store answering again: the call was refused")
	}
	if len(st.calls) != 1 {
		t.Fatalf("the store's rows: %v, want p's", st.calls)
	}
}

// A call whose client has gone while the store was asked is refused, not
// counted locally.
func TestTakeEndsWithItsContext(t *testing.T) {
	st := &fakeStore{limit: 1, calls: map[string]time.Time{}, fail: context.Canceled}
	l := New(Options{Store: st})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ok, _ := l.Take(ctx, "k", "a", 1); ok {
		t.Fatal("a call whose client left was admitted")
	}
	if len(l.placed) != 0 || len(l.local) != 0 {
		t.Fatalf("a refused call holds a place: %v %v", l.placed, l.local)
	}
}
