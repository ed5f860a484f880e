package session

import (
	"context"
	"sync"
)

// lockTable serialises the turns of each session within this process. Entries
// live only while someone holds or waits for them.
type lockTable struct {
	mu    sync.Mutex
	locks map[string]*lockEntry
}

type lockEntry struct {
	ch   chan struct{} // holds one token while locked
	refs int
}

func newLockTable() *lockTable { return &lockTable{locks: map[string]*lockEntry{}} }

// Lock waits for id's lock (or ctx) and returns its release function.
func (t *lockTable) Lock(ctx context.Context, id string) (func(), error) {
	t.mu.Lock()
	e := t.locks[id]
	if e == nil {
		e = &lockEntry{ch: make(chan struct{}, 1)}
		t.locks[id] = e
	}
	e.refs++
	t.mu.Unlock()

	select {
	case e.ch <- struct{}{}:
	case <-ctx.Done():
		t.drop(id, e)
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-e.ch
			t.drop(id, e)
		})
	}, nil
}

func (t *lockTable) drop(id string, e *lockEntry) {
	t.mu.Lock()
	e.refs--
	if e.refs == 0 {
		delete(t.locks, id)
	}
	t.mu.Unlock()
}

// Len is the number of sessions locked or waited for.
func (t *lockTable) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.locks)
}

// TryLock takes id's lock if no one holds or waits for it.
func (t *lockTable) TryLock(id string) (func(), bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, busy := t.locks[id]; busy {
		return nil, false
	}
	e := &lockEntry{ch: make(chan struct{}, 1), refs: 1}
	e.ch <- struct{}{}
	t.locks[id] = e
	return func() { <-e.ch; t.drop(id, e) }, true
}
