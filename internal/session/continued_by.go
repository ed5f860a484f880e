package session

import (
	"context"
	"errors"

	qp "qwenproxy"
)

// ContinuedBy returns the id of the live session of req.Owner whose next
// expected history is req's (PrefixKey, the AnsweredCall telling apart
// conversations identical so far), "" when there is none: the session the
// request would continue, found without claiming it or waiting for its
// lock. For a call refused before its turn, which is recorded in the
// session its client's conversation is in (see AdmitsCall).
func (m *Manager) ContinuedBy(ctx context.Context, req Request) (string, error) {
	if !req.HasHistory {
		return "", nil
	}
	id, err := m.findByKey(ctx, ownedKey(req.Owner, req.PrefixKey), req.AnsweredCall)
	if errors.Is(err, qp.ErrNotFound) {
		return "", nil
	}
	return id, err
}
