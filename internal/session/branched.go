package session

import (
	"context"
	"errors"
	"fmt"

	qp "qwenproxy"
)

// maxBranchDepth bounds the sessions BranchOf walks back through: branches
// of branches of one conversation, each made by a previous_response_id
// naming an answer its session's chat had gone past.
const maxBranchDepth = 100

// BranchOf reports whether session id, owner's, branched off from session
// named — directly, or from a branch of it — so that an X-Session-Id
// naming the conversation a client started under it names the branches
// made off it too (see qp.Session.BranchedFrom). named itself need not
// exist any more: the branch keeps its id. The sessions are read without
// their locks, from memory, else the database; an error is the database's.
func (m *Manager) BranchOf(ctx context.Context, id, named, owner string) (bool, error) {
	for n := 0; n < maxBranchDepth && id != ""; n++ {
		s, err := m.peek(ctx, id)
		if errors.Is(err, qp.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if s.APIKeyID != owner {
			return false, nil
		}
		if s.BranchedFrom == named {
			return true, nil
		}
		id = s.BranchedFrom
	}
	return false, nil
}

// peek is session id's state without its lock: memory's, else the
// database's (qp.ErrNotFound when it holds none).
func (m *Manager) peek(ctx context.Context, id string) (qp.Session, error) {
	m.mu.Lock()
	s, ok := m.cache[id]
	m.mu.Unlock()
	if ok {
		return s, nil
	}
	stored, err := m.store.Session(ctx, id)
	if errors.Is(err, qp.ErrNotFound) {
		return qp.Session{}, err
	}
	if err != nil {
		return qp.Session{}, fmt.Errorf("reading session %s: %w", id, err)
	}
	return *stored, nil
}
