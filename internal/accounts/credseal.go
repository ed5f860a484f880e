package accounts

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	qp "qwenproxy"
)

// The purposes the stored browser credentials are sealed for: the AEAD's
// associated data, so a sealed cookie does not open as a token, nor as an
// account's password.
const (
	purposeCookie = "qwen_credentials/cookie"
	purposeToken  = "qwen_credentials/bx-umidtoken"
)

// ErrCredentialsLocked is returned (wrapped) when the stored browser
// credentials are sealed and no configured key opens them.
var ErrCredentialsLocked = errors.New("the stored Qwen credentials (`qwenproxy credentials set`) are sealed and cannot be opened: " +
	"set QWENPROXY_SECRET_KEY to the key they were stored with, or store them again with `qwenproxy credentials set`")

var sealedForm = regexp.MustCompile(`^v1\.[0-9a-f]{8}\.[A-Za-z0-9+/]+$`)

// IsSealed reports whether v has the form Seal gives (a cookie header or a
// bx-umidtoken never has: cookies hold "=", tokens are not "v1.<hex>.…").
func IsSealed(v string) bool { return sealedForm.MatchString(v) }

// SealCredentials returns c with its cookie and bx-umidtoken sealed under
// the first key; with no key (s nil) c is returned as it is, in clear.
func SealCredentials(s *Sealer, c qp.QwenCredentials) (qp.QwenCredentials, error) {
	if s == nil {
		return c, nil
	}
	var err error
	if c.Cookies != "" {
		if c.Cookies, err = s.Seal(c.Cookies, purposeCookie); err != nil {
			return qp.QwenCredentials{}, err
		}
	}
	if c.Token != "" {
		if c.Token, err = s.Seal(c.Token, purposeToken); err != nil {
			return qp.QwenCredentials{}, err
		}
	}
	return c, nil
}

// OpenCredentials returns c with sealed fields opened; fields in clear
// (stored before sealing, or without a key) are returned as they are. A
// sealed field that no key opens gives an error wrapping ErrCredentialsLocked.
func OpenCredentials(s *Sealer, c qp.QwenCredentials) (qp.QwenCredentials, error) {
	open := func(v, purpose string) (string, error) {
		if !IsSealed(v) {
			return v, nil
		}
		plain, err := s.Open(v, purpose)
		if err != nil {
			return "", fmt.Errorf("%w (%v)", ErrCredentialsLocked, err)
		}
		return plain, nil
	}
	var err error
	if c.Cookies, err = open(c.Cookies, purposeCookie); err != nil {
		return qp.QwenCredentials{}, err
	}
	if c.Token, err = open(c.Token, purposeToken); err != nil {
		return qp.QwenCredentials{}, err
	}
	return c, nil
}

// SealedCredentials is a qp.CredentialStore that seals what it stores
// (when a key is set) and opens what it reads.
type SealedCredentials struct {
	Store  qp.CredentialStore
	Sealer *Sealer // nil: stored in clear
}

// QwenCredentials returns the stored credentials opened, ErrNotFound, or an
// error wrapping ErrCredentialsLocked.
func (s SealedCredentials) QwenCredentials(ctx context.Context) (*qp.QwenCredentials, error) {
	c, err := s.Store.QwenCredentials(ctx)
	if err != nil {
		return nil, err
	}
	opened, err := OpenCredentials(s.Sealer, *c)
	if err != nil {
		return nil, err
	}
	return &opened, nil
}

// SetQwenCredentials stores c, sealed when a key is set.
func (s SealedCredentials) SetQwenCredentials(ctx context.Context, c qp.QwenCredentials) error {
	sealed, err := SealCredentials(s.Sealer, c)
	if err != nil {
		return err
	}
	return s.Store.SetQwenCredentials(ctx, sealed)
}

// ClearQwenCredentials removes the stored credentials.
func (s SealedCredentials) ClearQwenCredentials(ctx context.Context) error {
	return s.Store.ClearQwenCredentials(ctx)
}

// ResealCredentials re-seals the stored browser credentials under the first
// key (sealing them if they were stored in clear); it reports whether there
// were any. Needs a key.
func ResealCredentials(ctx context.Context, store qp.CredentialStore, s *Sealer) (bool, error) {
	if s == nil {
		return false, ErrNoKey
	}
	c, err := store.QwenCredentials(ctx)
	if errors.Is(err, qp.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the stored credentials: %w", err)
	}
	opened, err := OpenCredentials(s, *c)
	if err != nil {
		return false, err
	}
	if err := (SealedCredentials{Store: store, Sealer: s}).SetQwenCredentials(ctx, opened); err != nil {
		return false, fmt.Errorf("store the re-sealed credentials: %w", err)
	}
	return true, nil
}
