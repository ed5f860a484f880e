package session

import (
	"context"
	"errors"
	"fmt"

	qp "qwenproxy"
)

// ChatDeleter deletes session s's Qwen chat from its account (s.Account).
// A chat Qwen no longer knows counts as deleted.
type ChatDeleter func(ctx context.Context, s qp.Session) error

// DeleteExpiredChats deletes the Qwen chats of up to limit sessions that
// expired (idle past the session timeout: no history finds them again, a
// later call opens a new chat) and that their clients did not name
// (X-Session-Id: such a client may send only its new message at any time,
// and its chat holds the conversation). Each is deleted under its
// session's lock, re-read there: a session a turn continued meanwhile (a
// previous_response_id's) is left. It returns how many chats were deleted
// and the first failure; the others are tried at the next sweep.
func (m *Manager) DeleteExpiredChats(ctx context.Context, del ChatDeleter, limit int) (int, error) {
	ids, err := m.store.ExpiredChats(ctx, m.now(), limit)
	if err != nil {
		return 0, err
	}
	deleted := 0
	var first error
	for _, id := range ids {
		ok, err := m.deleteChatOf(ctx, id, del)
		if ok {
			deleted++
		}
		if err != nil && first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return deleted, first
}

// deleteChatOf deletes session id's chat if it is still expired, unnamed
// and there.
func (m *Manager) deleteChatOf(ctx context.Context, id string, del ChatDeleter) (bool, error) {
	t, err := m.lock(ctx, id)
	if err != nil {
		return false, err
	}
	defer t.release()
	s, err := m.get(ctx, t)
	if errors.Is(err, qp.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	now := m.now()
	if !s.Expired(now) || s.Named || !s.ChatDeletedAt.IsZero() {
		return false, nil
	}
	if err := del(ctx, s); err != nil {
		return false, fmt.Errorf("delete chat %s of session %s: %w", s.ChatID, s.ID, err)
	}
	if err := m.store.MarkChatDeleted(ctx, s.ID, s.ChatID, now); err != nil {
		return true, err
	}
	// Memory must not hold the chat as still there: the next read of the
	// session comes from the database.
	m.Forget(id)
	return true, nil
}
