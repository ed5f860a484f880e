package session

import (
	"time"

	qp "qwenproxy"
)

// Told returns the hashes of the system prompt and tool set the session's
// Qwen chat was last told ("" for none).
func (t *Turn) Told() (system, tools string) {
	return t.Session.ToldSystemHash, t.Session.ToldToolsHash
}

// SetTold records what the chat has been told by this turn; it is persisted
// with the session by Advance.
func (t *Turn) SetTold(system, tools string) {
	t.Session.ToldSystemHash, t.Session.ToldToolsHash = system, tools
}

// Rechat moves the turn's session onto a new Qwen chat, because Qwen no
// longer knows the old one (or the proxy deleted it): nothing has been
// threaded or told there yet.
//
// A turn that came by its history (cameWith, reask) still came with it: a
// request asking it again (Claude Code's second summary ask, with the same
// history) finds the session, and goes on in a new chat told the
// conversation, as this turn did — there is no thread of the old chat to
// hang it under. Dropping it opened a session of its own for that request.
func (t *Turn) Rechat(chatID string) {
	t.Session.ChatID, t.Session.ParentID = chatID, ""
	t.Session.ChatDeletedAt = time.Time{}
	t.SetTold("", "")
	if c := t.came; c != nil {
		c.chatID, c.parentID, c.toldSystem, c.toldTools, c.newChat = chatID, "", "", "", true
	}
	t.latest = nil // nothing of the old chat's thread is here
	t.asked, t.Session.Prior = qp.SessionPrior{}, qp.SessionPrior{}
}
