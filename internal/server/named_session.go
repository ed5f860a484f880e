package server

import (
	"context"
	"time"

	"qwenproxy/internal/session"
	"qwenproxy/internal/translate"
)

// keepSession records a call that never got a turn — its client left while
// another turn held the session, as a user's Ctrl-C does while OpenCode's
// title call is answered, its chat could not be opened, or no account could
// take it — in the session it belongs to when that is the caller's: the
// one it names (X-Session-Id), else the one its resent history continues
// (Claude Code's and Codex's retry of a turn Qwen failed), or that a failed
// first turn sending the same conversation opened, so that the session's
// history shows the call. The look-up outlives the client that
// left, briefly.
func (s *Server) keepSession(ctx context.Context, c *call, t *turnSpec) {
	if t.continues != "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), namedSessionLookup)
	defer cancel()
	id := t.sessionID
	if id != "" {
		// Another key's session under that name is not the caller's: its
		// own under the name is (until 2026-12-07 such a call was recorded
		// in no session).
		found, err := s.deps.Sessions.SessionNamed(ctx, id, c.ex.Request.APIKeyID)
		if err != nil {
			s.log.Warn("a call that failed before its turn is recorded without its session", "session_id", id, "err", err)
			return
		}
		if id = found; id == "" {
			return
		}
	} else {
		history, newTurn := translate.Split(t.messages)
		keyedHistory := keyed(t.tools, history)
		found, err := s.deps.Sessions.ContinuedBy(ctx, session.Request{
			PrefixKey:       session.Key(keyedHistory, nil),
			HasHistory:      translate.HasEarlierTurns(history),
			Sent:            keyed(t.tools, t.messages),
			AnsweredCall:    answeredCall(newTurn),
			Owner:           c.ex.Request.APIKeyID,
			ClientSessionID: c.ex.Request.ClientSessionID,
		})
		if err != nil {
			s.log.Warn("a call that failed before its turn is recorded without its session", "err", err)
			return
		}
		if id = found; id == "" {
			return
		}
	}
	owns, err := s.deps.Sessions.AdmitsCall(ctx, id, c.ex.Request.APIKeyID)
	if err != nil {
		s.log.Warn("a call that failed before its turn is recorded without its session", "session_id", id, "err", err)
		return
	}
	if owns {
		c.setSession(id)
	}
}

// namedSessionLookup bounds keepSession's read of the session.
const namedSessionLookup = 2 * time.Second
