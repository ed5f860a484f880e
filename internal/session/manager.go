package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	qp "qwenproxy"
)

// Manager resolves the session of each call.
type Manager struct {
	store qp.SessionStore
	ttl   time.Duration
	locks *lockTable
	now   func() time.Time
	newID func() string
}

// NewManager returns a Manager whose sessions expire after ttl idle.
func NewManager(store qp.SessionStore, ttl time.Duration, newID func() string) *Manager {
	return &Manager{store: store, ttl: ttl, locks: newLockTable(), now: time.Now, newID: newID}
}

// Request describes the call a session is wanted for.
type Request struct {
	// ExplicitID is the client's X-Session-Id; it wins over the key.
	ExplicitID string
	// PrefixKey is Key() of the history before the new turn; HasHistory says
	// whether that history holds earlier turns at all.
	PrefixKey  string
	HasHistory bool
	Model      string
	FirstUser  string
	// NewChat opens a Qwen chat when no session can be continued.
	NewChat func(ctx context.Context) (chatID string, err error)
}

// Turn is a session held for one call. Release must be called.
type Turn struct {
	Session *qp.Session
	// Replay is set when the chat is new but the client has earlier turns.
	Replay  bool
	m       *Manager
	release func()
}

// ErrInvalidID is returned for an X-Session-Id that cannot name a session.
var ErrInvalidID = errors.New("session id must be 1-128 characters of letters, digits, '.', '_', ':' or '-'")

var validID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// ValidID reports whether id can name a session.
func ValidID(id string) bool { return validID.MatchString(id) }

// Begin finds the session to continue, or opens a new one, and holds it until
// Release, so turns of one session never overlap.
func (m *Manager) Begin(ctx context.Context, req Request) (*Turn, error) {
	if req.ExplicitID != "" {
		return m.beginExplicit(ctx, req)
	}
	if req.HasHistory {
		t, err := m.continueByKey(ctx, req)
		if t != nil || err != nil {
			return t, err
		}
	}
	id := m.newID()
	release, err := m.locks.Lock(ctx, id)
	if err != nil {
		return nil, err
	}
	return m.open(ctx, id, req, release)
}

func (m *Manager) beginExplicit(ctx context.Context, req Request) (*Turn, error) {
	if !ValidID(req.ExplicitID) {
		return nil, ErrInvalidID
	}
	release, err := m.locks.Lock(ctx, req.ExplicitID)
	if err != nil {
		return nil, err
	}
	s, err := m.store.Session(ctx, req.ExplicitID)
	switch {
	case errors.Is(err, qp.ErrNotFound):
		return m.open(ctx, req.ExplicitID, req, release)
	case err != nil:
		release()
		return nil, err
	}
	// A named session whose first turn never got an answer is a new chat.
	return &Turn{Session: s, Replay: s.ParentID == "" && req.HasHistory, m: m, release: release}, nil
}

// continueByKey returns the session whose next expected history is the
// request's, or nil. The key is re-checked under the session's lock: if
// another call advanced the session meanwhile, this conversation has forked
// and must not be threaded into it.
func (m *Manager) continueByKey(ctx context.Context, req Request) (*Turn, error) {
	s, err := m.store.SessionByKey(ctx, req.PrefixKey, m.now())
	if errors.Is(err, qp.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	release, err := m.locks.Lock(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	s, err = m.store.Session(ctx, s.ID)
	if err != nil {
		release()
		return nil, err
	}
	if s.ConversationKey != req.PrefixKey || s.Expired(m.now()) {
		release()
		return nil, nil
	}
	return &Turn{Session: s, m: m, release: release}, nil
}

// open creates a Qwen chat and a session for it under the held lock of id.
func (m *Manager) open(ctx context.Context, id string, req Request, release func()) (*Turn, error) {
	chatID, err := req.NewChat(ctx)
	if err != nil {
		release()
		return nil, err
	}
	now := m.now()
	s := &qp.Session{ID: id, ChatID: chatID, Model: req.Model, FirstUserMessage: req.FirstUser,
		CreatedAt: now, LastAccessed: now, ExpiresAt: now.Add(m.ttl)}
	if err := m.store.CreateSession(ctx, s); err != nil {
		release()
		return nil, fmt.Errorf("open session: %w", err)
	}
	return &Turn{Session: s, Replay: req.HasHistory, m: m, release: release}, nil
}

// FirstTurn reports whether the Qwen chat has no answered turn yet.
func (t *Turn) FirstTurn() bool { return t.Session.ParentID == "" }

// Advance records the answered turn: the parent the next turn hangs under and
// the key the next request will carry.
func (t *Turn) Advance(ctx context.Context, parentID, nextKey string) error {
	now := t.m.now()
	a := qp.SessionAdvance{ParentID: parentID, ConversationKey: nextKey, At: now, ExpiresAt: now.Add(t.m.ttl)}
	if err := t.m.store.AdvanceSession(ctx, t.Session.ID, a); err != nil {
		return err
	}
	t.Session.ParentID, t.Session.ConversationKey = parentID, nextKey
	t.Session.MessageCount++
	t.Session.LastAccessed, t.Session.ExpiresAt = now, a.ExpiresAt
	return nil
}

// Touch slides the expiry of a session used by a failed turn.
func (t *Turn) Touch(ctx context.Context) error {
	now := t.m.now()
	return t.m.store.TouchSession(ctx, t.Session.ID, now, now.Add(t.m.ttl))
}

// Release lets the next turn of the session proceed.
func (t *Turn) Release() { t.release() }

// Active is the number of sessions with a turn in progress or waiting.
func (m *Manager) Active() int { return m.locks.Len() }

// RunCleanup drops the lookup keys of expired sessions every interval until
// ctx ends. History is never deleted here.
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
		case <-tick.C:
			n, err := m.store.ForgetExpiredKeys(ctx, m.now())
			if err != nil {
				log.Warn("session cleanup failed", "err", err)
			} else if n > 0 {
				log.Debug("expired sessions", "count", n)
			}
		}
	}
}
