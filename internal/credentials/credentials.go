// Package credentials resolves the pasted Qwen credentials for `qwenproxy
// doctor`: those stored with `qwenproxy credentials set` win over the
// environment's (QWEN_COOKIES, QWEN_TOKEN). The server itself takes them
// through the account pool (internal/accounts), as the account "cookie".
package credentials

import (
	"context"
	"errors"
	"sync"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
)

// Source is a qwen.CredentialSource over the store and the environment.
// Stored credentials are read by Refresh; while it fails the last good
// value stays in force.
type Source struct {
	env   qwen.Credentials
	store qp.CredentialStore // nil: environment only

	mu     sync.Mutex
	stored *qwen.Credentials
}

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
