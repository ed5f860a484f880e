package session

import (
	"context"
	"slices"

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
// there: a restart forgets it, and on PostgreSQL, where sessions live in
// the database for the instances sharing it (memory holds none), it is
// not kept; such a request then opens a session of its own, as any history
// no session expects.

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
// that one hung, or nil. since is Manager.answered when req came: a turn
// answered after that was answered while req waited beside it.
func (m *Manager) continueReasked(ctx context.Context, req Request, since uint64) (*Turn, error) {
	if m.shared != nil {
		return nil, nil
	}
	id, last := m.findLastTurn(req.PrefixKey, req.AnsweredCall, since)
	if id == "" {
		return nil, nil
	}
	t, s, err := m.holdIf(ctx, id, req, func(s qp.Session) bool { return s.ConversationKey == last.nextKey && s.ChatID == last.chatID })
	if t == nil {
		return nil, err
	}
	t.Session, t.replaces, t.replaced = s, true, s.LastRequestID
	came := last
	if last.newChat {
		if err := t.moveToNewChat(ctx, &req); err != nil {
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
// asked in place of its last answered one goes on in a new chat, and the
// session, no longer found by its history, is found so.
func (m *Manager) outgrowLastTurn(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if last, ok := m.lastTurns[id]; ok {
		last.nextKey, last.newChat = "", true
		m.lastTurns[id] = last
	}
}

// findLastTurn returns the session (and what its last turn came with)
// whose last turn, answered by since, came with key and answered callID
// ("": one that answered no call), or "".
func (m *Manager) findLastTurn(key, callID string, since uint64) (string, lastTurn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range m.byLastTurn[key] {
		last := m.lastTurns[id]
		if last.answered > since {
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
