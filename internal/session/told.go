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
func (t *Turn) Rechat(chatID string) {
	t.Session.ChatID, t.Session.ParentID = chatID, ""
	t.Session.ChatDeletedAt = time.Time{}
	t.SetTold("", "")
	t.came, t.latest = nil, nil // nothing of the old chat's thread is here
	t.asked, t.Session.Prior = qp.SessionPrior{}, qp.SessionPrior{}
}
