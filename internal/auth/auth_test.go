package auth

import (
	"context"
	"testing"
	"time"

	qp "qwenproxy"
)

type memKeys struct{ keys []qp.APIKey }

func (m *memKeys) APIKeys(context.Context) ([]qp.APIKey, error) { return m.keys, nil }
func (m *memKeys) AddAPIKey(_ context.Context, k qp.APIKey) error {
	m.keys = append(m.keys, k)
	return nil
}
func (m *memKeys) DeleteAPIKey(context.Context, string) error { m.keys = nil; return nil }
func (m *memKeys) SetAPIKeyLimit(_ context.Context, id string, n int) error {
	for i := range m.keys {
		if m.keys[i].ID == id {
			m.keys[i].MaxConcurrent = n
		}
	}
	return nil
}

func TestKeysFromEnvironmentAndStore(t *testing.T) {
	ctx := context.Background()
	store := &memKeys{}
	k, err := New(ctx, nil, nil, store)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Unix(1000, 0)
	if k.Enabled(ctx) {
		t.Fatal("no keys, yet enabled")
	}
	key, stored := NewKey("ci", true, clock)
	store.AddAPIKey(ctx, stored)
	if _, ok := k.Check(ctx, key); ok {
		t.Fatal("a stored key counted before the reload")
	}
	k.reload(ctx) // what Run does every second
	id, ok := k.Check(ctx, key)
	if !ok || id.KeyID != stored.ID || !id.Admin || !k.AdminRequired(ctx) {
		t.Fatalf("stored key after reload: %+v %v", id, ok)
	}
	if _, ok := k.Check(ctx, key+"x"); ok {
		t.Fatal("a wrong key passed")
	}

	env, _ := New(ctx, []string{"a"}, []string{"b"}, nil)
	a, okA := env.Check(ctx, "a")
	b, okB := env.Check(ctx, "b")
	if !okA || !okB || a.Admin || !b.Admin || a.KeyID == b.KeyID || a.KeyID == "a" {
		t.Fatalf("env keys: %+v %+v", a, b)
	}
}

// failingKeys is a database that is down: every read fails, or blocks until
// released.
type failingKeys struct {
	memKeys
	reads int
	block chan struct{}
}

func (f *failingKeys) APIKeys(ctx context.Context) ([]qp.APIKey, error) {
	f.reads++
	if f.block != nil {
		<-f.block
	}
	return nil, context.DeadlineExceeded
}

// Issue 13, item 11: with the database down, requests are served from the
// last good keys without querying it, and never wait on it.
func TestKeysServeTheLastGoodValueWhileTheDatabaseIsDown(t *testing.T) {
	ctx := context.Background()
	store := &memKeys{}
	key, stored := NewKey("ci", false, time.Now())
	store.AddAPIKey(ctx, stored)
	k, err := New(ctx, nil, nil, store)
	if err != nil {
		t.Fatal(err)
	}
	down := &failingKeys{block: make(chan struct{})}
	defer close(down.block)
	k.store = down // the database goes down, and hangs
	for range 100 {
		if _, ok := k.Check(ctx, key); !ok || !k.Enabled(ctx) {
			t.Fatal("the last good key was refused")
		}
	}
	if down.reads != 0 {
		t.Fatalf("%d database reads for 100 requests", down.reads)
	}
}
