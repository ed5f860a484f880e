// Package credentials resolves the Qwen credentials for each upstream call:
// those stored with `qwenproxy credentials set` win over the environment's
// (QWEN_COOKIES, QWEN_TOKEN). Stored ones are re-read every few seconds, so
// setting or clearing them takes effect without a restart.
package credentials

import (
	"context"
	"errors"
	"sync"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
)

// Source is a qwen.CredentialSource over the store and the environment.
type Source struct {
	env   qwen.Credentials
	store qp.CredentialStore // nil: environment only

	mu       sync.Mutex
	stored   *qwen.Credentials
	loadedAt time.Time
	now      func() time.Time
}

const refresh = 2 * time.Second

// New returns a Source.
func New(env qwen.Credentials, store qp.CredentialStore) *Source {
	return &Source{env: env, store: store, now: time.Now}
}

// Credentials returns the credentials to use, or qwen.ErrNoCredentials.
func (s *Source) Credentials(ctx context.Context) (qwen.Credentials, error) {
	c, _ := s.Current(ctx)
	if !c.Configured() {
		return qwen.Credentials{}, qwen.ErrNoCredentials
	}
	return c, nil
}

// Current returns the credentials and where they come from: "stored",
// "environment" or "" (none).
func (s *Source) Current(ctx context.Context) (qwen.Credentials, string) {
	if stored := s.load(ctx); stored != nil && stored.Configured() {
		return *stored, "stored"
	}
	if s.env.Configured() {
		return s.env, "environment"
	}
	return qwen.Credentials{}, ""
}

func (s *Source) load(ctx context.Context) *qwen.Credentials {
	if s.store == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.now().Sub(s.loadedAt) < refresh && !s.loadedAt.IsZero() {
		return s.stored
	}
	c, err := s.store.QwenCredentials(ctx)
	switch {
	case errors.Is(err, qp.ErrNotFound):
		s.stored = nil
	case err != nil:
		return s.stored // a database hiccup: keep what was known
	default:
		s.stored = &qwen.Credentials{Token: c.Token, Cookies: c.Cookies}
	}
	s.loadedAt = s.now()
	return s.stored
}
