// Package auth checks proxy API keys: from the environment (API_KEYS,
// ADMIN_API_KEYS) and from the database (`qwenproxy keys add`), compared by
// SHA-256 hash in constant time. Keys are never stored or logged; calls are
// recorded with a key's id.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/refresh"
)

// Identity is who made a call.
type Identity struct {
	KeyID string
	Admin bool
	// MaxConcurrent bounds the key's calls in flight at once; 0: no limit
	// (environment keys have none).
	MaxConcurrent int
}

type entry struct {
	id            string
	hash          [sha256.Size]byte
	admin         bool
	maxConcurrent int
}

// Keys is the set of accepted keys.
type Keys struct {
	static []entry
	store  qp.APIKeyStore // nil: environment keys only

	mu     sync.Mutex
	stored []entry
}

// reloadEvery bounds how stale the stored keys may be: a key added with
// `qwenproxy keys add` works within this long, without a restart.
const reloadEvery = time.Second

// New returns the keys of the environment and of store, read now. Run keeps
// the stored ones fresh.
func New(ctx context.Context, apiKeys, adminKeys []string, store qp.APIKeyStore) (*Keys, error) {
	k := &Keys{store: store}
	for _, key := range apiKeys {
		k.static = append(k.static, envEntry(key, false))
	}
	for _, key := range adminKeys {
		k.static = append(k.static, envEntry(key, true))
	}
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

func envEntry(key string, admin bool) entry {
	h := sha256.Sum256([]byte(key))
	// The id comes from the hash: it names the key without revealing it.
	return entry{id: "env-" + hex.EncodeToString(h[:4]), hash: h, admin: admin}
}

func (k *Keys) reload(ctx context.Context) error {
	if k.store == nil {
		return nil
	}
	stored, err := k.store.APIKeys(ctx)
	if err != nil {
		return err
	}
	entries := make([]entry, 0, len(stored))
	for _, s := range stored {
		var e entry
		b, err := hex.DecodeString(s.Hash)
		if err != nil || len(b) != sha256.Size {
			continue
		}
		copy(e.hash[:], b)
		e.id, e.admin, e.maxConcurrent = s.ID, s.Admin, s.MaxConcurrent
		entries = append(entries, e)
	}
	k.mu.Lock()
	k.stored = entries
	k.mu.Unlock()
	return nil
}

// Run reloads the stored keys every second until ctx ends; while the
// database fails it retries with backoff and the last good keys stay in
// force. Requests never wait on the database for keys.
func (k *Keys) Run(ctx context.Context, log *slog.Logger) {
	if k.store == nil {
		return
	}
	refresh.Loop(ctx, reloadEvery, "stored API keys", log, k.reload)
}

// fresh returns the current entries: the last good ones.
func (k *Keys) fresh(context.Context) []entry {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append(append([]entry(nil), k.static...), k.stored...)
}

// Enabled reports whether any key exists: then every /v1 route needs one.
func (k *Keys) Enabled(ctx context.Context) bool { return len(k.fresh(ctx)) > 0 }

// AdminRequired reports whether admin keys exist: then the history routes
// and deletes need one.
func (k *Keys) AdminRequired(ctx context.Context) bool {
	for _, e := range k.fresh(ctx) {
		if e.admin {
			return true
		}
	}
	return false
}

// Check returns the identity of a presented key. Every known key is
// compared, in constant time, whatever matches first.
func (k *Keys) Check(ctx context.Context, presented string) (Identity, bool) {
	h := sha256.Sum256([]byte(presented))
	var found Identity
	ok := false
	for _, e := range k.fresh(ctx) {
		if subtle.ConstantTimeCompare(h[:], e.hash[:]) == 1 {
			found, ok = Identity{KeyID: e.id, Admin: e.admin, MaxConcurrent: e.maxConcurrent}, true
		}
	}
	return found, ok
}

// Lookup returns the identity of the key named id, if it exists now.
func (k *Keys) Lookup(ctx context.Context, id string) (Identity, bool) {
	for _, e := range k.fresh(ctx) {
		if e.id == id {
			return Identity{KeyID: e.id, Admin: e.admin, MaxConcurrent: e.maxConcurrent}, true
		}
	}
	return Identity{}, false
}

// NewKey makes a key for `qwenproxy keys add`: the key, shown once, and
// what is stored.
func NewKey(name string, admin bool, now time.Time) (string, qp.APIKey) {
	var b [24]byte
	_, _ = rand.Read(b[:])
	key := "qp-" + hex.EncodeToString(b[:])
	h := sha256.Sum256([]byte(key))
	var id [4]byte
	_, _ = rand.Read(id[:])
	return key, qp.APIKey{ID: "key-" + hex.EncodeToString(id[:]), Name: name, Hash: hex.EncodeToString(h[:]), Admin: admin, CreatedAt: now}
}

type ctxKey struct{}

// WithIdentity stores the caller's identity in ctx.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the caller's identity, if any.
func FromContext(ctx context.Context) Identity {
	id, _ := ctx.Value(ctxKey{}).(Identity)
	return id
}
