package server

import (
	"context"
	"time"
)

// keepNamedSession records a call that named its session (X-Session-Id)
// but never got a turn in it — its client left while another turn held the
// session, as a user's Ctrl-C does while OpenCode's title call is answered,
// or its chat could not be opened — in that session when it is the
// caller's, so that the session's history shows the prompt. The look-up
// outlives the client that left, briefly.
func (s *Server) keepNamedSession(ctx context.Context, c *call, t turnSpec) {
	if t.sessionID == "" || t.continues != "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), namedSessionLookup)
	defer cancel()
	owns, err := s.deps.Sessions.AdmitsCall(ctx, t.sessionID, c.ex.Request.APIKeyID)
	if err != nil {
		s.log.Warn("a call that failed before its turn is recorded without its session", "session_id", t.sessionID, "err", err)
		return
	}
	if owns {
		c.setSession(t.sessionID)
	}
}

// namedSessionLookup bounds keepNamedSession's read of the session.
const namedSessionLookup = 2 * time.Second
