package session

import (
	"context"
	"errors"
	"slices"
	"time"

	qp "qwenproxy"
)

// A client may ask something else in place of its conversation's last turn:
// a request whose history is the one the session's last turn came with.
// Agents do so on their own: Claude Code's /compact (and its automatic
// compaction) keeps the last answer verbatim and asks for a summary of what
// came before it, in the message that carried the last tool results, and
// asks again when the summary lacks its tags; Qwen Code follows a turn with
// a side call (its automatic memory) that resends the conversation with an
// instruction of its own, which its next run resends without. So do a
// regenerate and an edited last message. Such a request continues the
// session in its chat, hung where the client's history ends — under the
// answer before the last turn, as Qwen's web client hangs an edited
// message —, so the model reads the conversation as the client sent it and
// only the new turn goes up (rather than a session of its own, and the
// whole conversation replayed into a new chat).
//
// A last turn that answered tool calls is asked again only by a request
// answering the same calls by id (ids the proxy minted for this
// conversation), so that a conversation identical so far, whose calls had
// ids of their own, keeps its own session. A request that came while that
// turn was being answered does not ask in its place: it was sent beside
// it (a conversation identical so far, or the same call sent twice), not
// after it, and opens its own chat as before.
//
// A chat Qwen refused as too long (Outgrown) takes no turn: Claude Code's
// summary call after that refusal asks in place of the last answered turn,
// as ever, and goes on in a new chat of the session told the conversation
// it sends, as does its second ask.
//
// What the last turn came with is kept in memory, for the sessions held
// there, and with the session's state (qp.Session.Prior: where that turn
// was asked from, and the key of its history), so that after a restart,
// for a session evicted from memory, and on PostgreSQL, where sessions
// live in the database for the instances sharing it (memory holds none),
// the database finds it. Memory orders the turns it answered by a count
// (Manager.answered); the database by time: a request asks in place of a
// turn whose state was written before it came (see storedLastTurnFits).

// lastTurn is what a session's last answered turn continued by its history
// came with.
type lastTurn struct {
	key       string   // the owned key of its history
	chatID    string   // the chat it was answered in
	parentID  string   // the answer it hung under
	callIDs   []string // the tool calls its results could answer
	callNames []string // their tools
	// toldSystem and toldTools are what the chat had been told before it.
	toldSystem, toldTools string
	// nextKey is the key the session expected once it was answered: a
	// session that has moved on since is not asked its turn again.
	nextKey string
	// answered orders it among the turns answered (Manager.answered).
	answered uint64
	// newChat: a turn asked in its place goes on in a new chat told the
	// conversation (the chat was outgrown, or the last turn itself was
	// told the conversation in a new chat).
	newChat bool
}

// cameWith notes, for the turn t found by req's history, what it continues
// from: once answered, a request asking it again finds the session.
func (t *Turn) cameWith(req Request) {
	if t.Replay || t.Session.ParentID == "" {
		return
	}
	s := t.Session
	t.came = &lastTurn{key: req.PrefixKey, chatID: s.ChatID, parentID: s.ParentID, callIDs: s.LastCallIDs, callNames: s.LastCallNames,
		toldSystem: s.ToldSystemHash, toldTools: s.ToldToolsHash}
}

// continueReasked returns the session whose last turn req asks again (or
// asks something else in its place), held and set to hang the turn where
// that one hung, or nil. since is Manager.answered when req came, and
// arrived the time it came: a turn answered after that was answered while
// req waited beside it.
//
// Memory is asked first, for the sessions whose last turn it knows of;
// the database then, for those it does not (read back since a restart, or
// evicted, or on a shared database, where memory holds none): the state of
// a session keeps where its last turn was asked from (qp.Session.Prior)
// and the key of the history it came with.
func (m *Manager) continueReasked(ctx context.Context, req Request, since uint64, arrived time.Time) (*Turn, error) {
	if m.shared == nil {
		if id, last := m.findLastTurn(req.PrefixKey, req.AnsweredCall, req.ClientSessionID, since); id != "" {
			t, s, err := m.holdIf(ctx, id, req, func(s qp.Session) bool { return s.ConversationKey == last.nextKey && s.ChatID == last.chatID })
			if t == nil {
				return nil, err
			}
			return t.reask(ctx, s, &req, last)
		}
	}
	stored, err := m.store.SessionByPriorKey(ctx, req.PrefixKey, req.AnsweredCall, req.ClientSessionID, arrived, m.now())
	switch {
	case errors.Is(err, qp.ErrNotFound):
		return nil, nil
	case err != nil && m.shared == nil:
		// Alone on the database, memory is the truth; should the database
		// not answer, the request goes on as one no session expects.
		return nil, nil
	case err != nil:
		return nil, unavailable(ctx, err)
	}
	t, s, err := m.holdIf(ctx, stored.ID, req, func(s qp.Session) bool { return m.storedLastTurnFits(s, req, arrived) })
	if t == nil {
		return nil, err
	}
	p := s.Prior
	last := lastTurn{key: req.PrefixKey, chatID: s.ChatID, parentID: p.ParentID, callIDs: p.CallIDs, callNames: p.CallNames,
		toldSystem: p.ToldSystemHash, toldTools: p.ToldToolsHash, nextKey: s.ConversationKey, newChat: p.ParentID == ""}
	return t.reask(ctx, s, &req, last)
}

// storedLastTurnFits reports whether s, read under its lock, is a session
// whose last answered turn req asks again, by the state it keeps of that
// turn (qp.SessionPrior): that turn came with req's history and answered
// req's call (or none, as req), and was answered before req arrived — its
// state, stamped when it was answered (or since, by a failed turn), was
// written before. A session whose last turn memory knows of was answered
// here: memory's answer (findLastTurn) stands.
func (m *Manager) storedLastTurnFits(s qp.Session, req Request, arrived time.Time) bool {
	p := s.Prior
	if p.ConversationKey != req.PrefixKey || s.LastAccessed.UnixMilli() >= arrived.UnixMilli() {
		return false
	}
	if req.AnsweredCall == "" && len(p.CallIDs) > 0 || req.AnsweredCall != "" && !slices.Contains(p.CallIDs, req.AnsweredCall) {
		return false
	}
	if m.shared == nil {
		m.mu.Lock()
		_, known := m.lastTurns[s.ID]
		m.mu.Unlock()
		if known {
			return false
		}
	}
	// A turn asked where the last one hung needs that chat's thread; one
	// whose last turn went on in a new chat goes on in a new chat too.
	return p.ParentID == "" || s.ParentID != ""
}

// reask sets the turn t, holding session s, to be asked in place of the
// session's last answered turn, which came with last.
func (t *Turn) reask(ctx context.Context, s qp.Session, req *Request, last lastTurn) (*Turn, error) {
	t.Session, t.replaces, t.replaced = s, true, s.LastRequestID
	came := last
	if last.newChat {
		if err := t.moveToNewChat(ctx, req); err != nil {
			return nil, err
		}
		came.chatID = t.Session.ChatID
	} else {
		t.latest = &s
		t.Session.ParentID, t.Session.LastCallIDs, t.Session.LastCallNames = last.parentID, last.callIDs, last.callNames
		t.SetTold(last.toldSystem, last.toldTools)
	}
	t.came = &came
	return t, nil
}

// outgrowLastTurn marks session id's chat outgrown (see Outgrown): a turn
// asked in place of its last answered one goes on in a new chat. The
// session keeps the key it expects next (nextKey).
func (m *Manager) outgrowLastTurn(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if last, ok := m.lastTurns[id]; ok {
		last.newChat = true
		m.lastTurns[id] = last
	}
}

// findLastTurn returns the session (and what its last turn came with)
// whose last turn, answered by since, came with key and answered callID
// ("": one that answered no call), or "" — passing over the sessions of
// another conversation of the client (see otherClient).
func (m *Manager) findLastTurn(key, callID, client string, since uint64) (string, lastTurn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range m.byLastTurn[key] {
		last := m.lastTurns[id]
		if last.answered > since || otherClient(m.cache[id], client) {
			continue
		}
		if callID == "" && len(last.callIDs) == 0 || callID != "" && slices.Contains(last.callIDs, callID) {
			return id, last
		}
	}
	return "", lastTurn{}
}

// rememberLastTurn keeps what session id's turn, just answered, came with
// (nil: it came by no history of the chat's, and is not asked again).
func (m *Manager) rememberLastTurn(id string, last *lastTurn) {
	if m.shared != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.forgetLastTurn(id)
	m.answered++
	if last == nil {
		return
	}
	last.answered = m.answered
	m.lastTurns[id] = *last
	m.byLastTurn[last.key] = append(m.byLastTurn[last.key], id)
}

// answeredSoFar is the count of turns answered (see continueReasked).
func (m *Manager) answeredSoFar() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.answered
}

// forgetLastTurn drops what session id's last turn came with. The caller
// holds m.mu.
func (m *Manager) forgetLastTurn(id string) {
	last, ok := m.lastTurns[id]
	if !ok {
		return
	}
	delete(m.lastTurns, id)
	if ids := slices.DeleteFunc(m.byLastTurn[last.key], func(other string) bool { return other == id }); len(ids) > 0 {
		m.byLastTurn[last.key] = ids
	} else {
		delete(m.byLastTurn, last.key)
	}
}
