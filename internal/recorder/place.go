package recorder

import (
	"log/slog"
	"sync"
	"time"
)

// Where a record goes when the database does not take it: the spool, else
// memory (bounded by Options.MemoryBudget), else nowhere — and then it is
// counted and logged by its request id. Memory and the spool are retried by
// the writer every second and before every batch, oldest first.

// memory holds, in order, the items neither the database nor the spool
// took, within a byte budget. Items taken out to be written count until
// they are settled (written, spooled or dropped) or put back.
type memory struct {
	mu     sync.Mutex
	items  []item
	bytes  int64 // of items and of those taken out, not settled yet
	flying int   // taken out, not settled yet
}

func (m *memory) len() int {
	n, _ := m.stats()
	return n
}

func (m *memory) stats() (int, int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items) + m.flying, m.bytes
}

// take empties it and returns what it held; settle or putBack them.
func (m *memory) take() []item {
	m.mu.Lock()
	defer m.mu.Unlock()
	items := m.items
	m.items = nil
	m.flying += len(items)
	return items
}

// settle forgets items taken out: they were placed or dropped.
func (m *memory) settle(items []item) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.flying -= len(items)
	for _, it := range items {
		m.bytes -= it.size()
	}
}

// putBack returns taken items that could not be placed, in front of the
// rest.
func (m *memory) putBack(items []item) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.flying -= len(items)
	m.items = append(items, m.items...)
}

// size estimates what an item costs in memory, in bytes.
func (it item) size() int64 {
	const fixed = 1 << 10 // the struct, its strings and times
	switch {
	case it.ex != nil:
		e := it.ex
		n := len(e.Request.OpenAIRequest) + len(e.Request.QwenRequest) + len(e.Request.ReferencedItems) + len(e.Response.OpenAIResponse) +
			len(e.Response.QwenResponse) + len(e.Response.ErrorMessage)
		for _, u := range e.Response.UpstreamErrors {
			n += len(u)
		}
		return fixed + int64(n)
	case it.session != nil:
		return fixed + int64(len(it.session.FirstUserMessage))
	}
	return 0
}

// park places items the database did not take: in the spool, or in memory
// within the budget; what fits nowhere is dropped and logged. Items memory
// already holds go to the spool first, so that order is kept: on a disk with
// room for some, those that fit are spooled, oldest first, and the rest wait
// in memory behind them. It returns how many of items, from the first, are
// durable (spooled), and nil when all are, ErrNotDurable when memory holds
// some of them, errDropped when those not spooled were lost.
func (r *Recorder) park(items []item) (int, error) {
	r.parkMu.Lock()
	defer r.parkMu.Unlock()
	spooled := 0
	if r.spool != nil {
		if held := r.held.take(); len(held) > 0 {
			n, err := r.spool.append(held)
			r.held.settle(held[:n])
			r.spooled.Add(int64(n))
			if err != nil {
				r.held.putBack(held[n:])
			} else {
				r.heldPlaced("spool", len(held))
			}
		}
		if r.held.len() == 0 {
			n, err := r.spool.append(items)
			r.spooled.Add(int64(n))
			if err == nil {
				r.spoolWarn.Recovered(r.log, "recorder spool takes writes again")
				return n, nil
			}
			spooled, items = n, items[n:]
			r.spoolWarn.Failed(r.log, slog.LevelError, "recorder spool refuses writes; keeping records in memory", "path", r.spool.path, "err", err)
		}
	}
	var over []item
	r.held.mu.Lock()
	for _, it := range items {
		size := it.size()
		if r.held.bytes+r.queuedBytes.Load()+size > r.opt.MemoryBudget {
			over = append(over, it)
			continue
		}
		// The batch the item came from is reused: keep a copy.
		if it.ex != nil {
			e := *it.ex
			it.ex = &e
		}
		if it.session != nil {
			s := *it.session
			it.session = &s
		}
		it.placed = nil
		r.held.items = append(r.held.items, it)
		r.held.bytes += size
	}
	r.held.mu.Unlock()
	if len(over) > 0 {
		r.dropAll(over, "memory budget (RECORDER_MEMORY_BUDGET) exhausted while neither the database nor the spool takes records")
		if len(over) == len(items) {
			return spooled, errDropped
		}
	}
	return spooled, ErrNotDurable
}

// heldPlaced says that the n records memory held are now in where (the
// database or the spool). That ends the fault that put them there: a spool
// refusing writes again is a new one, logged as such (it was taken for the
// same, and not logged at all within the minute).
func (r *Recorder) heldPlaced(where string, n int) {
	msg := "records kept in memory are now in the " + where
	if !r.spoolWarn.Recovered(r.log, msg, "records", n) {
		r.log.Info(msg, "records", n)
	}
}

// dropAll counts items as lost and logs each call by its id (an operator's
// list of what the history lacks); sessions' states, which the next turn of
// each replaces, are logged as one count.
func (r *Recorder) dropAll(items []item, why string) {
	sessions := 0
	for _, it := range items {
		switch {
		case it.ex != nil:
			r.dropped.Add(1)
			r.log.Error("record dropped", "request_id", it.ex.Request.RequestID, "reason", why)
		case it.session != nil:
			sessions++
		}
	}
	if sessions > 0 {
		r.log.Error("session states dropped", "sessions", sessions, "reason", why)
	}
}

// drain writes what the spool and memory hold to the database, oldest
// first, and reports whether both are now empty. Only the writer calls it.
func (r *Recorder) drain() bool {
	if !r.replaySpool() {
		r.refusedAt = time.Now()
		// The database still refuses: at least move memory to the spool.
		if r.held.len() > 0 {
			r.park(nil)
		}
		return false
	}
	held := r.held.take()
	total := len(held)
	for len(held) > 0 {
		var b batch
		n := min(len(held), r.opt.BatchSize)
		for _, it := range held[:n] {
			r.add(&b, it)
		}
		setAside, err := r.writeOnce(b.Batch)
		if err != nil {
			r.refusedAt = time.Now()
			r.held.putBack(held)
			r.park(nil) // the spool, if it takes them now
			return false
		}
		r.written.Add(int64(len(b.Exchanges) - setAside))
		r.held.settle(held[:n])
		held = held[n:]
		if len(held) == 0 {
			r.heldPlaced("database", total)
		}
	}
	if r.held.len() > 0 {
		return false
	}
	r.refusedAt = time.Time{}
	return true
}

// replaySpool writes the spool to the database and reports whether it is
// now empty.
func (r *Recorder) replaySpool() bool {
	if r.spool == nil || r.spool.bytes() == 0 {
		return true
	}
	n, err := r.spool.replay(r.opt.BatchSize, func(items []item) error {
		var b batch
		for _, it := range items {
			r.add(&b, it)
		}
		setAside, err := r.writeOnce(b.Batch)
		if err != nil {
			return err
		}
		r.written.Add(int64(len(b.Exchanges) - setAside))
		return nil
	}, func(lines []corruptLine) error {
		if err := r.spool.keepCorrupt(lines); err != nil {
			return err
		}
		for _, l := range lines {
			r.log.Error("unreadable spool line set aside", "spool", r.spool.path, "offset", l.offset, "bytes", len(l.bytes),
				"kept_in", r.spool.path+".corrupt")
		}
		return nil
	})
	r.replayed.Add(int64(n))
	if err != nil {
		r.replayWarn.Warn(r.log, "spool replay stopped; will retry every second", "replayed", n, "err", err)
		return false
	}
	r.replayWarn.Recovered(r.log, "spool replay resumed")
	if n > 0 {
		r.log.Info("spool replayed", "items", n)
	}
	return true
}
