package session

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"time"
)

// Memory holds at most a bounded number of sessions. Past the bound the
// least recently used are evicted, and read back from the database when
// their conversation returns. Only a state the database already has may be
// evicted: the eviction first waits for the writer to commit what is queued
// (flushed), then drops only sessions whose state has not changed since and
// that no turn holds. While the database takes no writes, sessions stay past
// the bound, but not past unwrittenBound times it: memory is bounded through
// an outage too.
//
// Sessions answered once — a conversation's first turn, and every one-shot
// call (an agent's title, topic or summary side call, a script's single
// question), which may never return — hold a tenth of the bound
// (oneTurnShare): past it the least recently used of them go first, so that
// a flood of one-shot calls neither pushes continuing conversations out of
// memory nor fills it. A conversation that returns after its session went
// is read back from the database, as any evicted one. A session not yet
// answered is not of them: its turn is under way, or failed, and the
// client's retry finds it in memory only (see findUnanswered).

// unwrittenBound is how many times the bound memory may hold while the
// database takes no writes. Past it the least recently used sessions go
// even so (their state is still queued or spooled, and written when the
// database is back): at 1,000 new conversations a second an outage of
// minutes held hundreds of thousands, a session a kilobyte or so, without
// end. A conversation of one that returns before the database has its
// state is not found by its history: it opens a new chat, told the
// conversation, as a conversation the proxy has not seen does.
const unwrittenBound = 4

// Bound limits the sessions in memory to max (0: unbounded). flushed
// returns once everything saved so far is committed to the database, and
// reports whether it is (false while the database refuses writes: then
// nothing is evicted, as its state would be lost). Call before use.
func (m *Manager) Bound(max int, flushed func(context.Context) bool) {
	m.max, m.flushed, m.over = max, flushed, make(chan struct{}, 1)
}

// oneTurnShare is the part of the bound that sessions answered once may
// hold: 1,000 of the default 10,000.
const oneTurnShare = 10

// oneTurn reports whether a session of messageCount (qp.Session's) has been
// answered once: the first turn of a conversation, or a one-shot call,
// until its conversation continues.
func oneTurn(messageCount int) bool { return messageCount == 1 }

// oneTurnBound is how many sessions answered once memory holds: at least
// one.
func (m *Manager) oneTurnBound() int { return max(1, m.max/oneTurnShare) }

// overBound signals the cleanup loop when memory holds too many sessions,
// or too many answered once. The caller holds m.mu.
func (m *Manager) overBound() {
	if m.max > 0 && (len(m.cache) > m.max || m.oneTurnCached > m.oneTurnBound()) {
		select {
		case m.over <- struct{}{}:
		default:
		}
	}
}

// evictOverflow drops the least recently used sessions answered once until
// memory holds half their share of the bound, then the least
// recently used of all until it holds 90 % of the bound (so that evictions
// come in batches, not per turn).
func (m *Manager) evictOverflow(ctx context.Context, log *slog.Logger) {
	m.mu.Lock()
	ones := m.oneTurnCached
	if m.max <= 0 || len(m.cache) <= m.max*9/10 && ones <= m.oneTurnBound() {
		m.mu.Unlock()
		return
	}
	all := make([]snapshot, 0, len(m.cache))
	for id, s := range m.cache {
		all = append(all, snapshot{id, s.LastAccessed, s.MessageCount})
	}
	m.mu.Unlock()
	slices.SortFunc(all, func(a, b snapshot) int { return a.accessed.Compare(b.accessed) })
	victims := m.victims(all, ones)

	if !m.flushed(ctx) {
		limit := m.max * unwrittenBound
		if len(all) <= m.max {
			return // only one-turn sessions over their share: they wait, unlogged
		}
		if len(all) <= limit {
			m.boundLog.Warn(log, "sessions over the memory bound stay in memory: the database does not have their state yet", "in_memory", len(all), "bound", m.max)
			return
		}
		victims = all[:len(all)-limit*9/10]
		m.unwrittenLog.Warn(log, "sessions leave memory before the database has their state: memory holds "+
			"at most "+strconv.Itoa(unwrittenBound)+" times the bound while the database takes no writes; "+
			"their conversations, if they return before it does, open new chats", "in_memory", len(all), "bound", m.max, "leaving", len(victims))
	} else {
		m.boundLog.Recovered(log, "sessions over the memory bound are evicted again", "in_memory", len(all), "bound", m.max)
		m.unwrittenLog.Recovered(log, "sessions leave memory only once the database has their state again")
	}
	// The victims no turn holds are held while they go, all at once, so
	// that they go in one drop.
	held := make([]snapshot, 0, len(victims))
	var releases []func()
	for _, v := range victims {
		if release, ok := m.locks.TryLock(v.id); ok { // else a turn holds it: its state is changing
			held = append(held, v)
			releases = append(releases, release)
		}
	}
	defer func() {
		for _, release := range releases {
			release()
		}
	}()
	m.mu.Lock()
	defer m.mu.Unlock()
	gone := map[string]bool{}
	for _, v := range held {
		if s, ok := m.cache[v.id]; ok && s.LastAccessed.Equal(v.accessed) && s.MessageCount == v.count {
			gone[v.id] = true
		}
	}
	m.drop(gone)
	log.Debug("sessions evicted from memory", "evicted", len(gone), "bound", m.max)
}

// snapshot is what eviction saw of a session: it goes only if it is still
// so when its lock is held.
type snapshot struct {
	id       string
	accessed time.Time
	count    int
}

// victims returns, of all (least recently used first), of which ones were
// answered once, those beyond half their share of the bound when they are
// over it, the oldest of them, and then the oldest of the rest until memory
// would hold 90 % of the bound.
func (m *Manager) victims(all []snapshot, ones int) []snapshot {
	excessOnes := 0
	if ones > m.oneTurnBound() {
		excessOnes = ones - m.oneTurnBound()/2
	}
	excess := len(all) - m.max*9/10
	var victims, kept []snapshot
	for _, s := range all {
		if oneTurn(s.count) && excessOnes > 0 {
			victims, excessOnes = append(victims, s), excessOnes-1
		} else {
			kept = append(kept, s)
		}
	}
	if more := excess - len(victims); more > 0 {
		victims = append(victims, kept[:min(more, len(kept))]...)
	}
	return victims
}
