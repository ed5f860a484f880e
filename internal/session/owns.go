package session

import (
	"context"
	"errors"
	"fmt"

	qp "qwenproxy"
)

// Owns reports whether session id exists and belongs to owner (the API key
// id, "" without keys), without waiting for its lock: a call that named it
// but never got its turn (its client left while another turn held the
// session, or the turn's chat could not be opened) still belongs in its
// history. Memory first, then the database.
func (m *Manager) Owns(ctx context.Context, id, owner string) (bool, error) {
	if !ValidID(id) {
		return false, nil
	}
	m.mu.Lock()
	s, ok := m.cache[id]
	m.mu.Unlock()
	if ok {
		return s.APIKeyID == owner, nil
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
