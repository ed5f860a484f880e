package session

import (
	"context"
	"errors"
	"slices"
	"time"

	qp "qwenproxy"
)

// A call that opens a session and fails before any answer (Qwen's error,
// the client left) is usually sent again by its client. Touch then keys the
// session by the whole conversation that call sent (unansweredKey), so that
// the retry continues it rather than leaving it, empty, beside a second
// session in the history.

// continueUnanswered returns the session keyed key (a call that sent that
// conversation opened it and failed before any answer), or nil; should this
// turn fail too, the session is then found by sent, this call's key. Its
// turn goes to a new chat, as the failed one's may hold half an answer or
// still be generating it.
func (m *Manager) continueUnanswered(ctx context.Context, req Request, key, sent string) (*Turn, error) {
	req.PrefixKey, req.AnsweredCall = ownedKey(req.Owner, key), ""
	id, err := m.findUnanswered(ctx, req.PrefixKey, req.ClientSessionID)
	if id == "" || err != nil {
		return nil, err
	}
	t, err := m.claim(ctx, id, req)
	if t == nil || err != nil {
		return t, err
	}
	if t.Session.MessageCount > 0 { // answered since: an answer replaces the key
		t.release()
		return nil, nil
	}
	if err := t.moveToNewChat(ctx, &req); err != nil {
		return nil, err
	}
	t.Session.Model, t.unanswered = req.Model, sent
	return t, nil
}

// maxResentAfterUnanswered bounds the messages a client adds, without an
// answer between, to a first turn it left before its answer: Codex's resume
// adds two (its note that the turn was aborted, then the new request).
// Each is a lookup (on a shared database a query) for a new conversation.
const maxResentAfterUnanswered = 3

// continueUnansweredResent returns the session a first turn opened and
// failed in before any answer (the client left it: a user's Ctrl-C), when
// req resends that turn with up to maxResentAfterUnanswered more messages
// of the user's and no answer at all — Codex's `exec resume` after an
// interrupted first turn sends its note that the turn was aborted and the
// new request after it. Else nil.
func (m *Manager) continueUnansweredResent(ctx context.Context, req Request, sent string) (*Turn, error) {
	n := len(req.Sent)
	for i := range req.Sent {
		if req.Sent[i].Role == "assistant" {
			return nil, nil
		}
	}
	// The prefixes the failed turn may have sent: ending with a user's
	// message that one of the user's follows, in one pass — taken only when
	// there is one: a first turn's whole conversation (an agent's 20 KB
	// system prompt) is not hashed again for nothing.
	if !resentAfterUser(req.Sent) {
		return nil, nil
	}
	var keys []string
	eachPrefixHash(unansweredPrefix, req.Sent[:max(n-1, 0)], func(k int, key string) bool {
		if k >= n-maxResentAfterUnanswered && req.Sent[k-1].Role == "user" && req.Sent[k].Role == "user" {
			keys = append(keys, key)
		}
		return true
	})
	slices.Reverse(keys) // the longest first
	for _, key := range keys {
		if t, err := m.continueUnanswered(ctx, req, key, sent); t != nil || err != nil {
			return t, err
		}
	}
	return nil, nil
}

// resentAfterUser reports whether one of msgs' last maxResentAfterUnanswered
// messages is a user's that follows a user's: the end of a prefix
// continueUnansweredResent looks for.
func resentAfterUser(msgs []qp.Message) bool {
	for k := max(len(msgs)-maxResentAfterUnanswered, 1); k < len(msgs); k++ {
		if msgs[k-1].Role == "user" && msgs[k].Role == "user" {
			return true
		}
	}
	return false
}

// firstAnswer is the index of msgs' first assistant message: the messages
// before it are what the conversation's first call sent. 0 when there is
// none.
func firstAnswer(msgs []qp.Message) int {
	for i := range msgs {
		if msgs[i].Role == "assistant" {
			return i
		}
	}
	return 0
}

// findUnanswered is the id of the most recently used live session keyed
// key, or "". Alone on its database the process looks in memory only, where
// a failed turn left its session: every new conversation passes here, and
// it must not cost a query (nor fail when the database does). On a shared
// database, which is the truth, it asks the database. A database that did
// not answer fails the turn (qp.ErrStoreUnavailable): left to the lock, it
// held the turn for both bounds. Any other failure is the lock's to report
// (a turn goes on in memory where the lock can: a dropped schema).
//
// A session of another conversation of the client (client, the call's id:
// see otherClient) is none, so that the retry of a failed first turn finds
// its own beside another agent session's that sent the same.
func (m *Manager) findUnanswered(ctx context.Context, key, client string) (string, error) {
	now := m.now()
	if m.shared != nil {
		stored, err := m.store.SessionByKey(ctx, key, "", client, now)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				return "", unavailable(ctx, err)
			}
			return "", nil
		}
		return stored.ID, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	best, bestAt := "", time.Time{}
	for _, id := range m.byKey[key] {
		if s := m.cache[id]; !s.Expired(now) && !otherClient(s, client) && (best == "" || s.LastAccessed.After(bestAt)) {
			best, bestAt = id, s.LastAccessed
		}
	}
	return best, nil
}
