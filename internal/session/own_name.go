package session

import (
	"context"
	"errors"

	"github.com/google/uuid"

	qp "qwenproxy"
)

// ownNameSpace is the namespace of the ids ownName makes (a random UUID,
// fixed: the ids must be the same in every process and version).
var ownNameSpace = uuid.MustParse("5b0e7f3c-2d1a-4c8e-9f4b-7a61d0c3e2a9")

// maxOwnNameHops bounds how many ids made by ownName a call follows when
// each is another key's too (a key that chose, under X-Session-Id, the id
// another key's session under a name would get). Past it the call gets a
// session under a new random id, as every such call did until 2026-12-07.
const maxOwnNameHops = 4

// ownName is the id of the session of owner (an API key's id) under the
// name name, where that name is another key's session (or conversation):
// made from both, so it is the same on every turn, after a restart, and on
// every instance sharing the database — the caller's turns under that name
// continue one session of its own. Until 2026-12-07 each such turn got a
// new random id: a session and a Qwen chat per turn, the conversation
// lost. A name-based UUID (version 5), in the form of the ids the proxy
// mints; nothing is stored for it.
func ownName(owner, name string) string {
	return uuid.NewSHA1(ownNameSpace, []byte(owner+"\x00"+name)).String()
}

// holdNamed locks the session that a call naming req.ExplicitID goes on
// in, and reads it: the one named when it is req.Owner's, or when there is
// none and the id is not another key's object's (req.TakenBy: a
// Conversations API conversation, whose session its first response opens);
// otherwise req.Owner's own session under that name (ownName). found is
// false for a session to open under t's id.
func (m *Manager) holdNamed(ctx context.Context, req Request) (t *Turn, s qp.Session, found bool, err error) {
	id := req.ExplicitID
	for hop := 0; ; hop++ {
		if t, err = m.lock(ctx, id); err != nil {
			return nil, qp.Session{}, false, err
		}
		s, err = m.get(ctx, t)
		owner := s.APIKeyID
		switch {
		case errors.Is(err, qp.ErrNotFound):
			taken, by, err := req.takenBy(ctx, id)
			if err != nil {
				t.release()
				return nil, qp.Session{}, false, unavailable(ctx, err)
			}
			if !taken || by == req.Owner {
				return t, qp.Session{}, false, nil
			}
			owner = by
		case err != nil:
			t.release()
			return nil, qp.Session{}, false, err
		}
		if owner == req.Owner {
			return t, s, true, nil
		}
		// Another key's: never continued, never revealed.
		t.release()
		if hop == maxOwnNameHops {
			if t, err = m.lock(ctx, m.newID()); err != nil {
				return nil, qp.Session{}, false, err
			}
			return t, qp.Session{}, false, nil
		}
		id = ownName(req.Owner, id)
	}
}

// takenBy reports whether id, naming no session, is another object's
// (Request.TakenBy), and its key's id.
func (req Request) takenBy(ctx context.Context, id string) (taken bool, owner string, err error) {
	if req.TakenBy == nil {
		return false, "", nil
	}
	return req.TakenBy(ctx, id)
}

// SessionNamed is the id of the session that a call of owner (its API key
// id, "" without keys) naming name (X-Session-Id) goes on in, as a turn
// finds it (holdNamed), without waiting for any lock: name's session when
// it is owner's, else owner's own under that name; "" when there is none.
// For a call that never got its turn (see AdmitsCall): a key's call that
// names another key's session is recorded in its own, where its turns are.
func (m *Manager) SessionNamed(ctx context.Context, name, owner string) (string, error) {
	if !ValidID(name) {
		return "", nil
	}
	id := name
	for range maxOwnNameHops + 1 {
		s, err := m.peek(ctx, id)
		switch {
		case errors.Is(err, qp.ErrNotFound):
			return "", nil
		case err != nil:
			return "", err
		case s.APIKeyID == owner:
			return id, nil
		}
		id = ownName(owner, id)
	}
	return "", nil
}
