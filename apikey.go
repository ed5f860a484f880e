package qwenproxy

import (
	"context"
	"math"
	"time"
)

// MaxKeyConcurrent is the highest limit a key's calls in flight may have:
// what the databases' max_concurrent column holds (a PostgreSQL INTEGER,
// 32 bits), on SQLite too, so that a database can be copied to the other.
const MaxKeyConcurrent = math.MaxInt32

// KeyConcurrentInRange reports whether n can be a key's MaxConcurrent: 0
// (no limit) to MaxKeyConcurrent.
func KeyConcurrentInRange(n int) bool { return n >= 0 && n <= MaxKeyConcurrent }

// APIKey is a proxy API key as stored: its hash, never the key.
type APIKey struct {
	ID        string
	Name      string
	Hash      string // hex SHA-256 of the key
	Admin     bool   // may use the history routes and deletes
	CreatedAt time.Time
	// MaxConcurrent bounds the key's calls in flight at once; 0: no limit.
	// At most MaxKeyConcurrent.
	MaxConcurrent int
}

// APIKeyStore keeps the keys made with `qwenproxy keys add`.
type APIKeyStore interface {
	APIKeys(ctx context.Context) ([]APIKey, error)
	AddAPIKey(ctx context.Context, k APIKey) error
	DeleteAPIKey(ctx context.Context, id string) error
	// SetAPIKeyLimit sets a key's MaxConcurrent (0: none); ErrNotFound
	// for an unknown id.
	SetAPIKeyLimit(ctx context.Context, id string, maxConcurrent int) error
}

// QwenCredentials are stored Qwen credentials: the bx-umidtoken value and
// the browser Cookie header.
type QwenCredentials struct {
	Token     string
	Cookies   string
	UpdatedAt time.Time
}

// CredentialStore keeps the credentials set with `qwenproxy credentials set`.
type CredentialStore interface {
	// QwenCredentials returns the stored credentials, or ErrNotFound.
	QwenCredentials(ctx context.Context) (*QwenCredentials, error)
	SetQwenCredentials(ctx context.Context, c QwenCredentials) error
	ClearQwenCredentials(ctx context.Context) error
}

// KeyCallStore counts limited keys' calls in flight where every instance
// sharing the database sees them (PostgreSQL behind a balancer): each call
// holds a row, with a lease, until it ends. A row whose lease ran out (its
// instance died, or lost the database, before ending it) no longer counts.
type KeyCallStore interface {
	// TakeKeyCall records callID as one of key keyID's calls in flight
	// until expires, unless the key already has as many unexpired calls as
	// its stored limit. It reports whether the call may go, and that limit
	// as stored now (0: none, and nothing is recorded). An unknown key
	// (deleted meanwhile) has no limit here: authentication refuses it.
	TakeKeyCall(ctx context.Context, keyID, callID string, now, expires time.Time) (taken bool, limit int, err error)
	// RenewKeyCalls moves the lease of each of callIDs to expires.
	RenewKeyCalls(ctx context.Context, callIDs []string, expires time.Time) error
	// EndKeyCall removes callID's row; none is no error.
	EndKeyCall(ctx context.Context, callID string) error
}
