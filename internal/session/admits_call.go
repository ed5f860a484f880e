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
// database does not hold yet and be kept without it. It is queued without
// its name: the first message, as the turn that opened it holds it until
// it ends, is masked only of what a record's redaction finds in it alone
// (a URL's password); what the turn's own record hides (the password
// repeated beside the URL, a value a tool call's argument hid) is masked
// in it as the turn ends, and the turn writes it then (the store keeps a
// name a later state brings). Until 2026-12-06 it was queued with it: a
// call refused while a session's first turn was answered wrote what that
// turn's record masks into the session's row.
func (m *Manager) AdmitsCall(ctx context.Context, id, owner string) (bool, error) {
	if !ValidID(id) {
		return false, nil
	}
	m.mu.Lock()
	s, ok := m.cache[id]
	queue := ok && s.APIKeyID == owner && s.FirstUserMessage != "" // not queued yet (see unnamed)
	if queue {
		// Marked queued in place, under the lock that the turn holding
		// the session takes to keep its next state: that state is never
		// replaced by this older one. (The order of the writes does not
		// matter: an older state never overwrites a newer one.)
		m.cache[id] = unnamed(s)
	}
	m.mu.Unlock()
	if queue {
		m.save(unnamed(s))
	}
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

// Owns reports whether session id exists and is owner's (its API key id,
// "" without keys), as a turn continuing it would find it: in memory, else
// in the database; and, when it is, whether a turn going on from the
// answer of the call continues (a request id) would branch off from it
// (Request.Continues): its chat has answered another call since, other
// than after that answer (a turn from the answer its latest turn was asked
// from is asked again in its chat, needing nothing of the chain). It
// changes nothing: for a call that only reads what a session it names
// holds (input_tokens' previous_response_id).
func (m *Manager) Owns(ctx context.Context, id, owner, continues string) (owns, branches bool, err error) {
	if !ValidID(id) {
		return false, false, nil
	}
	s, err := m.peek(ctx, id)
	if errors.Is(err, qp.ErrNotFound) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	if s.APIKeyID != owner {
		return false, false, nil
	}
	return true, branchesOff(s, continues) && !regenerates(s, continues), nil
}
