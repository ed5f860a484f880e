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
// made off it too (see qp.Session.BranchedFrom). A deleted session names
// none: its branches took the session it branched off from (see origin).
// The sessions are read without their locks, from memory, else the
// database; an error is the database's.
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
		from, err := m.origin(ctx, s)
		if err != nil {
			return false, err
		}
		if from == named && from != "" {
			return true, nil
		}
		id = from
	}
	return false, nil
}

// origin is the session s branched off from, "" for none. The store gives
// a deleted session's branches the session it branched off from, in the
// delete's transaction, but memory may hold a branch's state from before:
// when the session it names is gone, or is a later one of that id (made
// after the branch: another conversation), the database says which it is
// now — "" when it says the same, as of a session deleted before the
// store did so, or while the branch's state was still being written.
func (m *Manager) origin(ctx context.Context, s qp.Session) (string, error) {
	from := s.BranchedFrom
	if from == "" {
		return "", nil
	}
	p, err := m.peek(ctx, from)
	there := err == nil
	switch {
	case err != nil && !errors.Is(err, qp.ErrNotFound):
		return "", err
	case there && !p.CreatedAt.After(s.CreatedAt):
		return from, nil
	}
	stored, err := m.store.Session(ctx, s.ID)
	switch {
	case err == nil && stored.BranchedFrom != from:
		return stored.BranchedFrom, nil
	case err != nil && !errors.Is(err, qp.ErrNotFound):
		return "", fmt.Errorf("reading session %s: %w", s.ID, err)
	case there:
		// Made later by the clock of the instance that made it: the
		// database still says it is the one.
		return from, nil
	}
	return "", nil
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
