package session

import (
	"context"
	"errors"

	qp "qwenproxy"
)

// ContinuedBy returns the id of the live session of req.Owner that req
// would continue, "" when there is none, found without claiming it or
// waiting for its lock: the one whose next expected history is req's
// (PrefixKey, the AnsweredCall telling apart conversations identical so
// far), else the one a call that sent req's conversation (Sent) opened and
// failed in before any answer, left to its retry. For a call refused before
// its turn, which is recorded in the session its client's conversation is
// in (see AdmitsCall).
func (m *Manager) ContinuedBy(ctx context.Context, req Request) (string, error) {
	if req.HasHistory {
		id, err := m.findByKey(ctx, ownedKey(req.Owner, req.PrefixKey), req.AnsweredCall, req.ClientSessionID)
		if err == nil || !errors.Is(err, qp.ErrNotFound) {
			return id, err
		}
	}
	return m.findUnanswered(ctx, ownedKey(req.Owner, unansweredKey(req.Sent)), req.ClientSessionID)
}
