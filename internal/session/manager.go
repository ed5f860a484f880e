package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/quietlog"
)

// Manager resolves the session of each call.
//
// Alone on its database, the process keeps the sessions it uses in memory,
// which is the truth for them while they live here; the database is written
// behind (through save, in order with the calls that use them) and read for
// sessions not in memory — after a restart, or idle ones. No database write
// is on a call's path.
//
// On a database other processes share (a SessionLocker is given), the
// database is the truth: a turn holds its session's lock across processes,
// reads the session under it and writes it back before releasing it, so the
// next turn continues from the last answer wherever it runs.
type Manager struct {
	store  qp.SessionStore
	shared qp.SessionLocker // nil when this process alone uses the database
	save   func(qp.Session)
	ttl    time.Duration
	locks  *lockTable
	now    func() time.Time
	newID  func() string

	mu    sync.Mutex
	cache map[string]qp.Session // by id
	byKey map[string][]string   // conversation key → ids
	// oneTurnCached counts the sessions in cache answered once (see
	// oneTurn): they hold a share of the bound of their own.
	oneTurnCached int
	// lastTurns holds what each session's last turn came with, and
	// byLastTurn the sessions by its key: a request asking that turn again
	// continues the session (see reask.go).
	lastTurns  map[string]lastTurn // by session id
	byLastTurn map[string][]string // key of a last turn's history → ids
	answered   uint64              // turns answered so far, in this process

	// The bound on cache (see Bound): max sessions, the check that their
	// state is in the database, and the signal that the cache is over.
	max     int
	flushed func(context.Context) bool
	over    chan struct{}
	// boundLog keeps a database that refuses writes from flooding the log
	// with an eviction refused at every turn past the bound; unwrittenLog
	// does the same for the sessions that go even so (unwrittenBound).
	boundLog, unwrittenLog quietlog.Log

	// deleteChats deletes expired sessions' chats at each cleanup; nil:
	// they are kept (see DeleteChatsWith).
	deleteChats ChatDeleter

	// log hears of a turn's state that its lock could not write (LogTo);
	// saveLog keeps a database that fails every turn from flooding it.
	log     *slog.Logger
	saveLog quietlog.Log
}

// NewManager returns a Manager whose sessions expire after ttl idle; save
// persists a session's state (asynchronously, in order). shared is nil
// unless other processes use the same database.
func NewManager(store qp.SessionStore, shared qp.SessionLocker, save func(qp.Session), ttl time.Duration, newID func() string) *Manager {
	return &Manager{store: store, shared: shared, save: save, ttl: ttl, locks: newLockTable(), now: time.Now, newID: newID,
		cache: map[string]qp.Session{}, byKey: map[string][]string{},
		lastTurns: map[string]lastTurn{}, byLastTurn: map[string][]string{}}
}

// Request describes the call a session is wanted for.
type Request struct {
	// ExplicitID is the client's X-Session-Id; it wins over the key.
	ExplicitID string
	// PrefixKey is Key() of the history before the new turn (History, as
	// keyed); HasHistory says whether that history holds earlier turns at
	// all.
	PrefixKey  string
	History    []qp.Message
	HasHistory bool
	// Sent is the whole conversation the call sends (History and the new
	// turn, as keyed). A session opened by a call that failed before any
	// answer is found by it: the client's retry of that call continues the
	// session rather than leaving it, empty, beside a second one.
	Sent []qp.Message
	// AnsweredCall is the id of the first tool call the new turn answers
	// (a tool result's), or "". Of the sessions expecting PrefixKey —
	// conversations identical so far — the one whose last answer made
	// that call is continued.
	AnsweredCall string
	Model        string
	FirstUser    string
	// Tools: the call declares tools, as an agent's main thread does. A
	// session a call without tools opened under X-Session-Id (OpenCode's
	// title, whose first user message is its own instruction) takes
	// FirstUser from the first call with tools, its task.
	Tools bool
	// Owner is the id of the proxy API key making the call ("" without
	// keys). Sessions belong to the key that opened them: another key's
	// X-Session-Id or history opens a session of its own.
	Owner string
	// ClientSessionID is the client's own id of its conversation
	// (qp.CleanClientSessionID of its headers: Claude Code's session id,
	// Codex's, OpenCode's), "" for none. A session opened by a call with
	// another id is not continued by this call's history (a coding agent's
	// fork resends the history of the conversation it forks under an id of
	// its own, see otherClient); one opened with none, or a call with none,
	// is matched as ever. A session the call names (ExplicitID) is not
	// subject to it.
	ClientSessionID string
	// TakenBy reports whether id, which names no session, is another
	// object's whose session is made later — a Conversations API
	// conversation's, opened by its first response — and whose key
	// (owner) it is; nil: none is. Under ExplicitID, a call of another key
	// naming it does not take the id: it gets a session of its own, as
	// for another key's session (see holdNamed).
	TakenBy func(ctx context.Context, id string) (taken bool, owner string, err error)
	// Named is set when the client named the session (X-Session-Id, not
	// the session of a previous_response_id): its chat is then never
	// deleted (see DeleteExpiredChats).
	Named bool
	// NewChat opens a Qwen chat when no session can be continued.
	NewChat func(ctx context.Context) (chatID string, err error)
	// ReplaceChat opens a Qwen chat for a session that exists, whose chat
	// has no answered turn; nil: NewChat. (NewChat may refuse: a call that
	// must continue a session does not open one.)
	ReplaceChat func(ctx context.Context) (chatID string, err error)
	// Continues is the request id of the answer the turn goes on from
	// (a Responses previous_response_id's), "" for the session's latest.
	// Under ExplicitID, a session whose chat has answered another call
	// since (its LastRequestID) is not continued: the turn branches off
	// into a session of its own, under a new id, on a chat Branch opens,
	// to be told the conversation that answer stands for. The session and
	// its chat are left as they are — unless the answer is the one the
	// session's latest turn was asked from (qp.Session.Prior: a client's
	// retry of a call answered meanwhile, or a regenerate): the turn is
	// then asked again in the session's chat, hung where that turn hung.
	Continues string
	// Branch opens the Qwen chat of a branch (see Continues); nil:
	// ReplaceChat. It may refuse: an answer whose conversation cannot be
	// told again is not branched from.
	Branch func(ctx context.Context) (chatID string, err error)
	// branchedFrom is the session a branch's new one branched off from
	// (set by branch for open).
	branchedFrom string
}

// branchesOff reports whether a turn going on from the answer of the call
// continues (a request id, Request.Continues) would branch off from s: its
// chat has moved past that answer, another call's came after it. A state
// that does not say which answer came last (from before it was kept) is
// continued, as it was.
func branchesOff(s qp.Session, continues string) bool {
	return continues != "" && s.LastRequestID != "" && !strings.EqualFold(s.LastRequestID, continues)
}

// regenerates reports whether a turn going on from the answer of the call
// continues, which s branches off from (branchesOff), is asked again in
// s's chat instead: that answer is the one s's latest turn was asked from,
// in the chat s is still on. An SDK retries a call whose answer it lost
// with the same previous_response_id, and a user regenerates an answer
// so: branching made a new chat told the whole chain again (refused when
// a response of it was not stored), and a second session of the same
// conversation. Qwen takes any earlier node of a chat as parent, as its web
// client's regenerate does (qwen-wire.md §4.4).
func regenerates(s qp.Session, continues string) bool {
	return s.Prior.ParentID != "" && strings.EqualFold(s.Prior.RequestID, continues) &&
		s.ParentID != "" && s.ChatDeletedAt.IsZero()
}

// regenerate sets the turn t holding s to be asked where s's latest turn
// was asked from (s.Prior), in its chat. Should it fail, the session stays
// as it was, its latest answer still the latest (see Touch).
func (t *Turn) regenerate(s qp.Session) {
	t.Session, t.latest, t.Regenerates, t.replaces, t.replaced = s, &s, true, true, s.LastRequestID
	p := s.Prior
	t.Session.ParentID, t.Session.LastRequestID = p.ParentID, p.RequestID
	t.Session.LastCallIDs, t.Session.LastCallNames = p.CallIDs, p.CallNames
	t.SetTold(p.ToldSystemHash, p.ToldToolsHash)
}

// replaceChat opens a new Qwen chat for the existing session t holds.
func (req *Request) replaceChat(ctx context.Context) (string, error) {
	if req.ReplaceChat != nil {
		return req.ReplaceChat(ctx)
	}
	return req.NewChat(ctx)
}

// moveToNewChat moves the turn to a new Qwen chat (replaceChat), to be told
// the conversation req sends; when none can be opened it lets the session
// go.
func (t *Turn) moveToNewChat(ctx context.Context, req *Request) error {
	chatID, err := req.replaceChat(ctx)
	if err != nil {
		t.release()
		return err
	}
	t.Rechat(chatID)
	t.Replay = req.HasHistory
	return nil
}

// Turn is a session held for one call. Release must be called, after
// Advance (the turn was answered) or Touch (it was not): either persists the
// session.
type Turn struct {
	Session qp.Session // this turn's copy
	// Replay is set when the chat is new but the client has earlier turns.
	Replay bool
	// Unseen, above 0, is where the part of the resent history that the
	// session's chat never got begins (a turn the client left before its
	// answer, which it resends with the next one): those messages go to
	// Qwen as earlier conversation. 0: the chat has seen the history, or
	// the history is not one the chat was told.
	Unseen int
	// BranchedFrom is the id of the session the turn branched off from
	// (see Request.Continues), "" when it did not: the turn holds a new
	// session, on a new chat.
	BranchedFrom string
	// Regenerates is set when the turn is asked again in place of its
	// session's latest (see Request.Continues), under the node that one
	// hung under.
	Regenerates bool
	// asked is where the turn is asked from, its session's state when it
	// began (Begin; Rechat clears it): its answer's Prior (Advance).
	asked qp.SessionPrior
	// unanswered is unansweredKey of the call's conversation, for a
	// session without an answered turn: should this turn fail too, the
	// session is found by it (see Touch). "" under X-Session-Id.
	unanswered string
	// came is what the turn continues from, when it came by its chat's
	// history (see reask.go); latest, for a turn asked again, is the
	// session's state it found, which a failed turn leaves as it was.
	came   *lastTurn
	latest *qp.Session
	// replaces is set for a turn asked in place of its session's latest
	// answered one (a regenerate, a turn asked again by its history), in
	// whichever chat it goes on (Rechat keeps it): its session counts the
	// turns of the conversation as it stands, as many as before.
	replaces bool
	// replaced is, for a turn that replaces (see replaces), the request id
	// of the call whose answer it replaces: its session's latest answered
	// call when it began ("" when the session's state does not say).
	replaced string
	// model is the Qwen model the turn is asked on: its answer moves the
	// session there (Advance), a client may switch models mid conversation.
	model string
	// mergedKey is the second key of the turn's answer (see Merged), ""
	// for none.
	mergedKey string
	m         *Manager
	held      qp.SessionLock // the lock across processes; nil when not shared
	// storeFailed: the turn failed with the database's failure
	// (TouchAfter), which the turn does not wait for again.
	storeFailed bool
	ctx         context.Context
	release     func()
}

// Replaces is the request id of the call whose answer the turn is asked in
// place of — its session's latest answered call, when the turn is a
// regenerate (a previous_response_id's, see Request.Continues) or asks its
// conversation's last turn again (a Chat history the session's last turn
// came with, see continueReasked) —, "" for a turn that goes on from that
// answer. Answered, the turn's answer replaces that one: the conversation
// as it stands goes on from it (the history's transcript marks both).
func (t *Turn) Replaces() string {
	if !t.replaces {
		return ""
	}
	return t.replaced
}

// ErrInvalidID is returned for an X-Session-Id that cannot name a session.
var ErrInvalidID = errors.New("session id must be 1-128 characters of letters, digits, '.', '_', ':' or '-', and not dots alone")

var validID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// ValidID reports whether id can name a session. Dots alone cannot: "." and
// ".." are path segments, so /v1/sessions/.. (the session's page, its
// export, its deletion) was cleaned into a redirect to another route.
func ValidID(id string) bool { return validID.MatchString(id) && strings.Trim(id, ".") != "" }

// maxUnseenAnswers bounds how far back in a resent history the answer its
// chat last gave is looked for: the turns after it are ones the chat never
// got, each of which the client resends with an answer of its own (empty,
// or Claude Code's "No response requested.").
const maxUnseenAnswers = 3

// Begin finds the session to continue, or opens a new one, and holds it until
// Release, so turns of one session never overlap.
func (m *Manager) Begin(ctx context.Context, req Request) (*Turn, error) {
	t, err := m.begin(ctx, req)
	if t != nil {
		t.model = req.Model
		s := t.Session
		t.asked = qp.SessionPrior{ParentID: s.ParentID, RequestID: s.LastRequestID, CallIDs: s.LastCallIDs, CallNames: s.LastCallNames,
			ToldSystemHash: s.ToldSystemHash, ToldToolsHash: s.ToldToolsHash}
	}
	return t, err
}

func (m *Manager) begin(ctx context.Context, req Request) (*Turn, error) {
	req.PrefixKey = ownedKey(req.Owner, req.PrefixKey)
	since, arrived := m.answeredSoFar(), m.now()
	if req.ExplicitID != "" {
		return m.beginExplicit(ctx, req)
	}
	if req.HasHistory {
		t, err := m.continueByKey(ctx, req)
		if t != nil {
			t.cameWith(req)
		}
		if t != nil || err != nil {
			return t, err
		}
		// An answer resent run together with the part of a cut one the
		// client got (see cut.go).
		var byMerged *Request
		if merged := historyMergedKey(req.History); merged != "" {
			byMerged = &Request{}
			*byMerged = req
			byMerged.PrefixKey = ownedKey(req.Owner, merged)
			t, err := m.continueByKey(ctx, *byMerged)
			if t != nil {
				t.cameWith(*byMerged)
			}
			if t != nil || err != nil {
				return t, err
			}
		}
		if legacy := legacyKey(req.History); legacy != "" {
			// A session stored by an earlier version, under a key that
			// held the system prompt.
			stored := req
			stored.PrefixKey = ownedKey(req.Owner, legacy)
			if t, err := m.continueByKey(ctx, stored); t != nil || err != nil {
				return t, err
			}
		}
		// Something asked in place of the session's last turn (Claude
		// Code's summary call, the turn after Qwen Code's side call).
		if t, err := m.continueReasked(ctx, req, since, arrived); t != nil || err != nil {
			return t, err
		}
		if byMerged != nil {
			// The turn after Qwen Code's side call, which came with the
			// history that runs a cut answer's part and its resumed answer
			// together.
			if t, err := m.continueReasked(ctx, *byMerged, since, arrived); t != nil || err != nil {
				return t, err
			}
		}
		// A history that resends turns its chat never got (an agent
		// interrupted mid-answer resends the cut turn with the next one)
		// continues the chat whose last answer it holds.
		for _, a := range earlierAnswers(req.History, maxUnseenAnswers) {
			t, err := m.continueEarlier(ctx, req, ownedKey(req.Owner, a.key), since, arrived)
			if t == nil && err == nil {
				// That answer run together with the part of a cut one (see
				// cut.go): Qwen Code's resume of a turn cut after it
				// resumed an earlier cut turn.
				if merged := historyMergedKey(req.History[:a.n]); merged != "" {
					t, err = m.continueEarlier(ctx, req, ownedKey(req.Owner, merged), since, arrived)
				}
			}
			if err != nil {
				return nil, err
			}
			if t != nil {
				t.Unseen = a.n
				return t, nil
			}
		}
	}
	unanswered := unansweredKey(req.Sent)
	if t, err := m.continueUnanswered(ctx, req, unanswered, unanswered); t != nil || err != nil {
		return t, err
	}
	if first := firstAnswer(req.History); req.HasHistory && first > 0 {
		// A first turn the client left before its answer, resent with the
		// next one (an empty or placeholder answer between them). Should
		// this turn fail too, the session stays keyed by that first turn,
		// not by this call's conversation: the client's next try resends
		// the first turn again, not this call — Qwen Code, whose resume of
		// a cut first answer is cut too, resumes again with the part it
		// then holds, another history.
		firstKey := unansweredKey(req.History[:first])
		if t, err := m.continueUnanswered(ctx, req, firstKey, firstKey); t != nil || err != nil {
			return t, err
		}
	}
	if t, err := m.continueUnansweredResent(ctx, req, unanswered); t != nil || err != nil {
		return t, err
	}
	t, err := m.lock(ctx, m.newID())
	if err != nil {
		return nil, err
	}
	t.unanswered = unanswered
	return m.open(ctx, t, req)
}

// continueEarlier returns the session whose next expected history, or
// whose last turn's (asked in its place), is an earlier part of req's
// history, keyed key; nil when none is.
func (m *Manager) continueEarlier(ctx context.Context, req Request, key string, since uint64, arrived time.Time) (*Turn, error) {
	req.PrefixKey = key
	t, err := m.continueByKey(ctx, req)
	if t != nil || err != nil {
		return t, err
	}
	// Or asks in place of the turn that came with it (Qwen Code resumes a
	// cut turn after its side call).
	return m.continueReasked(ctx, req, since, arrived)
}

// lock takes id's lock in this process and, on a shared database, across
// processes, and returns the turn that holds them.
func (m *Manager) lock(ctx context.Context, id string) (*Turn, error) {
	release, err := m.locks.Lock(ctx, id)
	if err != nil {
		return nil, err
	}
	t := &Turn{Session: qp.Session{ID: id}, m: m, ctx: context.WithoutCancel(ctx), release: release}
	if m.shared != nil {
		if t.held, err = m.shared.LockSession(ctx, id); err != nil {
			release()
			return nil, unavailable(ctx, err)
		}
		t.release = func() {
			if t.storeFailed {
				t.held.Discard()
			} else {
				t.held.Unlock()
			}
			release()
		}
	}
	return t, nil
}

func (m *Manager) beginExplicit(ctx context.Context, req Request) (*Turn, error) {
	if !ValidID(req.ExplicitID) {
		return nil, ErrInvalidID
	}
	// Another key's session under that name is never continued, never
	// revealed: the call's is its own under the name (see holdNamed).
	t, s, found, err := m.holdNamed(ctx, req)
	if err != nil {
		return nil, err
	}
	if !found {
		return m.open(ctx, t, req)
	}
	if branchesOff(s, req.Continues) {
		if regenerates(s, req.Continues) {
			// The answer the latest turn was asked from: asked again
			// there, in the session's chat.
			t.regenerate(s)
			t.Session.Named = s.Named || req.Named
			return t, nil
		}
		// The session's chat has answered since the answer the turn
		// goes on from: going on there, the model would read answers
		// the client never saw. A session of its own, on a new chat.
		t.release()
		return m.branch(ctx, s, req)
	}
	t.Session = s
	t.Session.Named = s.Named || req.Named
	if req.Tools && s.ToldToolsHash == "" && s.MessageCount <= 1 && req.FirstUser != "" {
		t.Session.FirstUserMessage = req.FirstUser // its side call's opening named it
	}
	if s.ParentID == "" || !s.ChatDeletedAt.IsZero() {
		// A named session whose chat has no answered turn (its first turn
		// failed, or the client left it) goes on in a new chat: the failed
		// turn's may hold half an answer, or still be generating it (a
		// user's stop), and refuse completions. Nothing of it is lost. So
		// does a session whose chat the proxy deleted when it expired (a
		// previous_response_id's, told the conversation it stands for).
		if err := t.moveToNewChat(ctx, &req); err != nil {
			return nil, err
		}
		return t, nil
	}
	if s.ConversationKey != "" && s.ConversationKey != req.PrefixKey {
		t.Unseen = Seen(req.History, req.Owner, s.ConversationKey)
		if t.Unseen == 0 && s.CutKey != "" && s.CutKey != req.PrefixKey {
			// The chat's last answer, as the client keeps it, runs a cut
			// answer's part and its retried or resumed answer together
			// (see cut.go).
			t.Unseen = seenMerged(req.History, req.Owner, s.CutKey)
		}
	}
	return t, nil
}

// branch opens, under a new id, the session of a turn that goes on from an
// earlier answer of from (Request.Continues), on a new chat (Branch), owned
// by the same key.
func (m *Manager) branch(ctx context.Context, from qp.Session, req Request) (*Turn, error) {
	t, err := m.lock(ctx, m.newID())
	if err != nil {
		return nil, err
	}
	open := req
	open.NewChat = req.ReplaceChat
	if req.Branch != nil {
		open.NewChat = req.Branch
	}
	if open.NewChat == nil {
		open.NewChat = req.NewChat
	}
	open.branchedFrom = from.ID
	if t, err = m.open(ctx, t, open); err != nil {
		return nil, err
	}
	t.BranchedFrom = from.ID
	return t, nil
}

// continueByKey returns the session whose next expected history is the
// request's, or nil. The key is re-checked under the session's lock: if
// another call advanced the session meanwhile, this conversation has forked
// and must not be threaded into it.
func (m *Manager) continueByKey(ctx context.Context, req Request) (*Turn, error) {
	id, err := m.findByKey(ctx, req.PrefixKey, req.AnsweredCall, req.ClientSessionID)
	if errors.Is(err, qp.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return m.claim(ctx, id, req)
}

// claim holds session id for req, or returns nil when it no longer expects
// req.PrefixKey (advanced, expired or deleted meanwhile) or is another
// key's.
func (m *Manager) claim(ctx context.Context, id string, req Request) (*Turn, error) {
	t, s, err := m.holdIf(ctx, id, req, func(s qp.Session) bool {
		return s.ConversationKey == req.PrefixKey || s.CutKey != "" && s.CutKey == req.PrefixKey
	})
	if t == nil {
		return nil, err
	}
	// A session whose chat has no answered turn (its first turn failed)
	// tells that chat the conversation so far. One that had answered turns
	// and has none in its chat now — left outgrown (Outgrown), or moved to
	// a new chat whose turn then failed — goes on in a new chat told it, as
	// a named session does (beginExplicit): the outgrown chat refuses every
	// turn, and a failed turn's chat may hold half an answer.
	if s.ParentID == "" && s.MessageCount > 0 {
		t.Session = s
		if err := t.moveToNewChat(ctx, &req); err != nil {
			return nil, err
		}
		return t, nil
	}
	t.Session, t.Replay = s, s.ParentID == "" && req.HasHistory
	return t, nil
}

// otherClient reports whether session s was opened by another conversation
// of its client than the one whose id (qp.Session.ClientSessionID) is
// client: both ids are known and differ. Such a call does not continue s by
// its history: Claude Code's `--resume <id> --fork-session` sends the whole
// history of the conversation it forks, under a new id, and took that
// conversation's session and chat (the original, resumed after, no longer
// found its own and was replayed into a new chat). Claude Code's side
// calls (titles, summaries, /compact) and its subagents carry their
// parent's id, and are matched as before; so is every call of a client that
// sends no id, and every session opened without one (before migration
// 0050, or by such a call).
func otherClient(s qp.Session, client string) bool {
	return client != "" && s.ClientSessionID != "" && s.ClientSessionID != client
}

// holdIf locks session id and reads it for req's turn: nil (and no error)
// when it was deleted meanwhile, has expired, is another key's or another
// conversation's of its client (otherClient), has lost
// its chat, or fails fits (a state it no longer has, moved on meanwhile).
// The turn returned holds the lock; the session is its state.
func (m *Manager) holdIf(ctx context.Context, id string, req Request, fits func(qp.Session) bool) (*Turn, qp.Session, error) {
	t, err := m.lock(ctx, id)
	if err != nil {
		return nil, qp.Session{}, err
	}
	s, err := m.get(ctx, t)
	if errors.Is(err, qp.ErrNotFound) { // deleted meanwhile
		t.release()
		return nil, qp.Session{}, nil
	}
	if err != nil {
		t.release()
		return nil, qp.Session{}, err
	}
	if !fits(s) || s.Expired(m.now()) || s.APIKeyID != req.Owner || otherClient(s, req.ClientSessionID) || !s.ChatDeletedAt.IsZero() {
		t.release()
		return nil, qp.Session{}, nil
	}
	return t, s, nil
}

// open creates a Qwen chat and a session for it in the turn t holding the
// new session's lock.
func (m *Manager) open(ctx context.Context, t *Turn, req Request) (*Turn, error) {
	chatID, err := req.NewChat(ctx)
	if err != nil {
		t.release()
		return nil, err
	}
	now := m.now()
	t.Session = qp.Session{ID: t.Session.ID, ChatID: chatID, Model: req.Model, FirstUserMessage: req.FirstUser,
		CreatedAt: now, LastAccessed: now, ExpiresAt: now.Add(m.ttl), APIKeyID: req.Owner, Named: req.Named, BranchedFrom: req.branchedFrom,
		ClientSessionID: req.ClientSessionID}
	t.Replay = req.HasHistory
	// Persisted when the turn ends (Advance or Touch), with its call: one
	// write instead of two.
	m.keep(t.Session)
	return t, nil
}

// get returns the current state of the session t holds: from the database
// when it is shared, else from memory, else the database.
func (m *Manager) get(ctx context.Context, t *Turn) (qp.Session, error) {
	if t.held != nil {
		s, err := t.held.Session(ctx)
		if err != nil {
			return qp.Session{}, unavailable(ctx, err)
		}
		return *s, nil
	}
	id := t.Session.ID
	m.mu.Lock()
	s, ok := m.cache[id]
	m.mu.Unlock()
	if ok {
		// Deleted meanwhile (by the API, or by the CLI in another process):
		// memory must not bring it back. Should the database not answer,
		// memory is the truth.
		if deleted, err := m.store.Deleted(ctx, id, s.ChatID); err == nil && deleted {
			m.Forget(id)
			return qp.Session{}, qp.ErrNotFound
		}
		return s, nil
	}
	stored, err := m.store.Session(ctx, id)
	if err != nil {
		return qp.Session{}, unavailable(ctx, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.cache[id]; ok { // another call loaded it meanwhile
		return s, nil
	}
	m.index(unnamed(*stored))
	return *stored, nil
}

// findByKey returns the id of the most recently used live session whose
// next expected history hashes to key: of those whose last answer made the
// tool call callID, when there are such. Conversations identical so far
// expect the same key; a tool result tells them apart by its call's id.
// A session of another conversation of the client (client, the call's id:
// see otherClient) is none: the look-up passes over it to the one of the
// call's own conversation, should both expect key (two agent sessions
// that asked the same, the same answer given).
func (m *Manager) findByKey(ctx context.Context, key, callID, client string) (string, error) {
	now := m.now()
	if m.shared != nil {
		stored, err := m.store.SessionByKey(ctx, key, callID, client, now)
		if err != nil {
			return "", unavailable(ctx, err)
		}
		return stored.ID, nil
	}
	m.mu.Lock()
	best, bestCalled := "", false
	var bestAt time.Time
	for _, id := range m.byKey[key] {
		s := m.cache[id]
		if s.Expired(now) || otherClient(s, client) {
			continue
		}
		called := callID != "" && slices.Contains(s.LastCallIDs, callID)
		if best == "" || called && !bestCalled || called == bestCalled && s.LastAccessed.After(bestAt) {
			best, bestAt, bestCalled = id, s.LastAccessed, called
		}
	}
	m.mu.Unlock()
	if best != "" && (bestCalled || callID == "") {
		return best, nil
	}
	// None here, or none here made the call: the database may hold the one
	// that did (evicted from memory, or not read back since a restart).
	// Memory is the truth for the sessions it holds, and when the database
	// does not answer.
	stored, err := m.store.SessionByKey(ctx, key, callID, client, now)
	switch {
	case err == nil && (best == "" || slices.Contains(stored.LastCallIDs, callID)):
		return stored.ID, nil
	case best == "":
		return "", unavailable(ctx, err)
	}
	return best, nil
}

// unavailable marks an error of the database, other than a missing row, as
// the database's (qp.ErrStoreUnavailable), so that the call is answered as
// one the proxy's database failed, not as the proxy's own error — unless
// ctx, the call's, has ended: then the client left (or the server is
// stopping), whatever the database said. A database's own timeout (a
// connection that never answered) is its failure, though it reads as a
// deadline too.
func unavailable(ctx context.Context, err error) error {
	if errors.Is(err, qp.ErrNotFound) || ctx.Err() != nil {
		return err
	}
	return fmt.Errorf("%w: %w", qp.ErrStoreUnavailable, err)
}

// persist makes the turn's copy the current state of its session. On a
// shared database it is written before the lock is released; should that
// fail, the recorder writes it behind (retrying, spooling) rather than lose
// it.
func (t *Turn) persist() {
	if t.held != nil && !t.storeFailed {
		ctx, cancel := context.WithTimeout(t.ctx, 10*time.Second)
		defer cancel()
		err := t.held.Save(ctx, t.Session)
		if errors.Is(err, qp.ErrSessionMovedOn) {
			// Another turn ran at once and saved first: it stays the
			// session's state (written behind, this one would overwrite
			// it). This turn's answer stays in the chat, off the session's
			// line.
			if log := t.m.log; log != nil {
				log.Warn("two turns of one session ran at once: its lock was lost with its database connection during this turn, "+
					"and another turn took it meanwhile; the session goes on from the other turn's answer",
					"session_id", t.Session.ID, "err", err)
			}
			return
		}
		if log := t.m.log; log != nil {
			if err == nil {
				t.m.saveLog.Recovered(log, "sessions' states are written under their locks again")
			} else {
				// Written behind, the state may come after the session's
				// next turn has read it: that turn would hang under the
				// answer before this one's.
				t.m.saveLog.Warn(log, "a turn's session state could not be written under its lock; the recorder writes it behind",
					"session_id", t.Session.ID, "err", err)
			}
		}
		if err == nil {
			return
		}
	}
	t.m.keep(unnamed(t.Session))
	t.m.save(t.Session)
}

// unnamed is s without its first user message, as memory keeps a session
// once that is queued for writing or read from the database: a client's
// first message may be hundreds of KB, and the cache holds thousands of
// sessions. The states written after carry none, which keeps the one
// written (qp.Session.Replacing).
func unnamed(s qp.Session) qp.Session {
	s.FirstUserMessage = ""
	return s
}

// keep makes s the current state of its session in memory, unless the
// database is shared.
func (m *Manager) keep(s qp.Session) {
	if m.shared != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.index(s)
}

// index makes s the state memory holds of its session, in place of the one
// it held, and indexes it by its key. The caller holds m.mu.
func (m *Manager) index(s qp.Session) {
	if old, ok := m.cache[s.ID]; ok {
		m.unindexKey(old)
		if oneTurn(old.MessageCount) {
			m.oneTurnCached--
		}
	}
	if oneTurn(s.MessageCount) {
		m.oneTurnCached++
	}
	m.cache[s.ID] = s
	for _, key := range keysOf(s) {
		m.byKey[key] = append(m.byKey[key], s.ID)
	}
	m.overBound()
}

// keysOf returns the keys s is found by: its ConversationKey and its
// CutKey, those it has.
func keysOf(s qp.Session) []string {
	keys := make([]string, 0, 2)
	if s.ConversationKey != "" {
		keys = append(keys, s.ConversationKey)
	}
	if s.CutKey != "" && s.CutKey != s.ConversationKey {
		keys = append(keys, s.CutKey)
	}
	return keys
}

func (m *Manager) unindexKey(s qp.Session) {
	for _, key := range keysOf(s) {
		m.unindex(key, func(id string) bool { return id == s.ID })
	}
}

// unindex drops from key's list of sessions the ids gone says go, and the
// key with its last one. The caller holds m.mu.
func (m *Manager) unindex(key string, gone func(id string) bool) {
	if ids := slices.DeleteFunc(m.byKey[key], gone); len(ids) > 0 {
		m.byKey[key] = ids
	} else {
		delete(m.byKey, key)
	}
}

// drop removes the sessions gone names from memory, filtering each key's
// list of sessions once however many of its sessions go: identical
// conversations share a key, and removing them one by one walked a list of
// thousands once each. The caller holds m.mu.
func (m *Manager) drop(gone map[string]bool) {
	keys := map[string]bool{}
	for id := range gone {
		if s, ok := m.uncache(id); ok {
			for _, key := range keysOf(s) {
				keys[key] = true
			}
		}
	}
	for key := range keys {
		m.unindex(key, func(id string) bool { return gone[id] })
	}
}

// Forget drops a session from memory (it was deleted).
func (m *Manager) Forget(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.uncache(id); ok {
		m.unindexKey(s)
	}
}

// uncache removes session id from memory, but not from the index by key
// (see unindex), and returns what memory held. The caller holds m.mu.
func (m *Manager) uncache(id string) (qp.Session, bool) {
	s, ok := m.cache[id]
	if ok {
		delete(m.cache, id)
		if oneTurn(s.MessageCount) {
			m.oneTurnCached--
		}
	}
	m.forgetLastTurn(id)
	return s, ok
}

// FirstTurn reports whether the Qwen chat has no answered turn yet.
func (t *Turn) FirstTurn() bool { return t.Session.ParentID == "" }

// Advance records the answered turn: the parent the next turn hangs under,
// the key the next request will carry and the ids of the answer's tool
// calls (nil for none), which its results will name, with their tools'
// names in the same order.
func (t *Turn) Advance(parentID, nextKey string, callIDs, callNames []string) {
	now := t.stamp()
	t.Session.Prior = t.asked
	if c := t.came; c != nil { // a request with its history, answering its calls, asks it again (reask.go)
		t.Session.Prior.ConversationKey, t.Session.Prior.CallIDs, t.Session.Prior.CallNames = c.key, c.callIDs, c.callNames
	}
	t.Session.ParentID, t.Session.ConversationKey = parentID, ownedKey(t.Session.APIKeyID, nextKey)
	// The failed turns' partials went into this answer's second key, if
	// any (Merged).
	t.Session.CutKey, t.Session.CutState = ownedKey(t.Session.APIKeyID, t.mergedKey), ""
	t.Session.LastCallIDs, t.Session.LastCallNames = callIDs, callNames
	if t.model != "" { // the chat answered on it: the session's model is its chat's
		t.Session.Model = t.model
	}
	if !t.replaces {
		t.Session.MessageCount++
	} // a turn asked again replaces the latest: the conversation as it stands counts as many
	t.Session.LastAccessed, t.Session.ExpiresAt = now, now.Add(t.m.ttl)
	t.persist()
	if t.came != nil {
		t.came.nextKey = t.Session.ConversationKey
	}
	t.m.rememberLastTurn(t.Session.ID, t.came)
}

// Touch slides the expiry of a session used by a failed turn. A session
// that has never been answered is then found by the conversation the turn
// sent, so that the client's retry continues it.
func (t *Turn) Touch() {
	if t.unanswered != "" && t.Session.MessageCount == 0 {
		t.Session.ConversationKey = ownedKey(t.Session.APIKeyID, t.unanswered)
	}
	if l := t.latest; l != nil { // a turn asked again: the session goes on from its last answer
		t.Session.ParentID, t.Session.LastCallIDs, t.Session.LastCallNames = l.ParentID, l.LastCallIDs, l.LastCallNames
		t.Session.LastRequestID = l.LastRequestID
		t.SetTold(l.ToldSystemHash, l.ToldToolsHash)
	}
	now := t.stamp()
	t.Session.LastAccessed, t.Session.ExpiresAt = now, now.Add(t.m.ttl)
	t.persist()
}

// stamp is the time a state the turn writes is stamped with: now, but never
// before the state the turn began from (another instance's clock behind the
// one that wrote it, or a clock set back). The store keeps, of two states
// with one message_count, the later by last_accessed (the one written last
// of two alike); a regenerate's state counts as many as the one it
// replaces, and stamped earlier it was dropped — the session went on from
// the answer it replaced. A regenerate's is stamped after it, so that the
// replaced state, should it come again (replayed from the spool), does not
// take its place.
func (t *Turn) stamp() time.Time {
	now, read := t.m.now(), t.Session.LastAccessed
	switch {
	case t.replaces && !now.After(read):
		return read.Add(time.Millisecond) // the store keeps milliseconds
	case now.Before(read):
		return read
	}
	return now
}

// TouchAfter is Touch for a turn that failed with err. After the database's
// failure (qp.ErrStoreUnavailable: it refused, or did not answer within
// HISTORY_READ_TIMEOUT) the turn does not wait for it again, before its
// client is told: its state is written behind by the recorder (retried,
// spooled) rather than under its lock, and its lock on a shared database is
// let go by closing the lock's connection rather than by a statement (see
// qp.SessionLock.Discard). Each waited up to 10 s more on a database that
// stopped answering, a conversation's failed turn ~22 s in all.
func (t *Turn) TouchAfter(err error) {
	if errors.Is(err, qp.ErrStoreUnavailable) {
		t.storeFailed = true
	}
	t.Touch()
}

// Outgrown records a turn Qwen refused as too long for the model
// (ContextLengthExceeded) and slides the session's expiry. Qwen keeps the
// conversation in the chat, so every later turn there would be refused
// too, whatever the client resends once it has compacted its history: the
// chat is left as one without an answered turn is. Under X-Session-Id the
// next turn goes on in a new chat told the conversation it sends; so does a
// request that resends the conversation as it stood (a client that does not
// compact: Codex's exec resume, OpenCode's summary call), found by its
// history as ever (claim). A compacted conversation, another history, opens
// a session of its own.
func (t *Turn) Outgrown() {
	t.Session.ParentID, t.Session.LastCallIDs, t.Session.LastCallNames = "", nil, nil
	t.Session.CutKey, t.Session.CutState = "", ""
	// The chat refuses any turn: none is asked again there, but in a new
	// chat, by the history the last answered turn came with answering its
	// calls (reask.go).
	p := t.Session.Prior
	t.Session.Prior = qp.SessionPrior{ConversationKey: p.ConversationKey, CallIDs: p.CallIDs, CallNames: p.CallNames}
	if l := t.latest; l != nil {
		// A turn asked again leaves its session's latest answer the one
		// it named, as a failed turn does.
		t.Session.LastRequestID = l.LastRequestID
	}
	t.unanswered, t.latest = "", nil
	t.Touch()
	t.m.outgrowLastTurn(t.Session.ID)
}

// Release lets the next turn of the session proceed.
func (t *Turn) Release() { t.release() }

// Active is the number of sessions with a turn in progress or waiting.
func (m *Manager) Active() int { return m.locks.Len() }

// Cached is the number of sessions held in memory.
func (m *Manager) Cached() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.cache)
}

// LogTo makes the manager log to log what the operator should know of: a
// turn's state that its lock on a shared database could not write (logged
// once a minute while it recurs; see quietlog). Call it before the first
// turn.
func (m *Manager) LogTo(log *slog.Logger) { m.log = log }

// DeleteChatsWith makes each cleanup delete the chats of expired sessions
// with del, at most chatSweepLimit a sweep (QWEN_DELETE_CHATS). Call it
// before RunCleanup.
func (m *Manager) DeleteChatsWith(del ChatDeleter) { m.deleteChats = del }

// chatSweepLimit bounds the chats one cleanup deletes (one upstream call
// each): a backlog, such as a database's expired sessions when
// QWEN_DELETE_CHATS is first set, goes a sweep at a time.
const chatSweepLimit = 200

// RunCleanup, every interval until ctx ends, drops expired sessions from
// memory and their lookup keys from the database, and, with
// DeleteChatsWith, deletes their chats. History is never deleted here.
func (m *Manager) RunCleanup(ctx context.Context, interval time.Duration, log *slog.Logger) {
	if interval <= 0 {
		return
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.over: // nil without a bound: never ready
			m.evictOverflow(ctx, log)
		case <-tick.C:
			m.evictExpired()
			n, err := m.store.ForgetExpiredKeys(ctx, m.now())
			if err != nil {
				log.Warn("session cleanup failed", "err", err)
			} else if n > 0 {
				log.Debug("expired sessions", "count", n)
			}
			if m.deleteChats != nil {
				n, err := m.DeleteExpiredChats(ctx, m.deleteChats, chatSweepLimit)
				if n > 0 {
					log.Info("deleted the Qwen chats of expired sessions", "count", n)
				}
				if err != nil {
					log.Warn("deleting the Qwen chats of expired sessions failed; the rest are tried at the next sweep", "err", err)
				}
			}
		}
	}
}

func (m *Manager) evictExpired() {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	expired := map[string]bool{}
	for id, s := range m.cache {
		if s.Expired(now) {
			expired[id] = true
		}
	}
	m.drop(expired)
}
