package session

import (
	"context"
	"errors"
	"fmt"

	qp "qwenproxy"
)

// AdmitsCall reports whether a call of owner (its API key id, "" without
// keys) that named session id but never got a turn in it — its client left
// while another turn held the session, or the turn's chat could not be
// opened — is recorded in it: when the session exists and is owner's, never
// another key's. It does not wait for the session's lock. A session still
// only in memory (its first turn has not ended) is queued for writing now,
// ahead of the call's record, which would otherwise name a session the
// database does not hold yet and be kept without it.
func (m *Manager) AdmitsCall(ctx context.Context, id, owner string) (bool, error) {
	if !ValidID(id) {
		return false, nil
	}
	m.mu.Lock()
	s, ok := m.cache[id]
	m.mu.Unlock()
	if ok {
		if s.APIKeyID != owner {
			return false, nil
		}
		if s.FirstUserMessage != "" { // not queued yet (see unnamed)
			m.keep(unnamed(s))
			m.save(s)
		}
		return true, nil
	}
	stored, err := m.store.Session(ctx, id)
	if err != nil {
		if errors.Is(err, qp.ErrNotFound) {
			return false, nil
		}
		return false, fmt.Errorf("reading session %s: %w", id, err)
	}
	return stored.APIKeyID == owner, nil
}
