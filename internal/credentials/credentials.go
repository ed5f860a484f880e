// Package credentials resolves the Qwen credentials for each upstream call:
// those stored with `qwenproxy credentials set` win over the environment's
// (QWEN_COOKIES, QWEN_TOKEN). Stored ones are re-read every few seconds, so
// setting or clearing them takes effect without a restart.
package credentials

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/refresh"
)

// Source is a qwen.CredentialSource over the store and the environment.
// Stored credentials are read by Refresh (at start) and Run (every few
// seconds, in the background): a call never waits on, or queries, the
// database for them, and while it fails the last good value stays in force.
type Source struct {
	env   qwen.Credentials
	store qp.CredentialStore // nil: environment only

	mu     sync.Mutex
	stored *qwen.Credentials
}

const refreshEvery = 2 * time.Second

// New returns a Source; call Refresh to read the stored credentials.
func New(env qwen.Credentials, store qp.CredentialStore) *Source {
	return &Source{env: env, store: store}
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
func (s *Source) Current(context.Context) (qwen.Credentials, string) {
	s.mu.Lock()
	stored := s.stored
	s.mu.Unlock()
	if stored != nil && stored.Configured() {
		return *stored, "stored"
	}
	if s.env.Configured() {
		return s.env, "environment"
	}
	return qwen.Credentials{}, ""
}

// Refresh reads the stored credentials; on an error the last good ones stay.
func (s *Source) Refresh(ctx context.Context) error {
	if s.store == nil {
		return nil
	}
	c, err := s.store.QwenCredentials(ctx)
	var stored *qwen.Credentials
	switch {
	case errors.Is(err, qp.ErrNotFound):
	case err != nil:
		return err
	default:
		stored = &qwen.Credentials{Token: c.Token, Cookies: c.Cookies}
	}
	s.mu.Lock()
	s.stored = stored
	s.mu.Unlock()
	return nil
}

// Run refreshes the stored credentials every few seconds until ctx ends,
// with backoff while the database fails.
func (s *Source) Run(ctx context.Context, log *slog.Logger) {
	if s.store == nil {
		return
	}
	refresh.Loop(ctx, refreshEvery, "stored Qwen credentials", log, s.Refresh)
}
