// Package recorder writes recorded exchanges, and the sessions they belong
// to, to the store off the request path: handlers hand them to a bounded
// queue, one writer goroutine commits them in order, in batches. A handler
// never waits for the database.
package recorder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/quietlog"
)

// Options size the recorder. Zero values take the defaults.
type Options struct {
	QueueSize int // records waiting for the writer; default 10000
	BatchSize int // records per transaction; default 500
	// WriteRetries is how often a failed batch is tried again before its
	// records go to the spool. Default 3.
	WriteRetries int
	RetryDelay   time.Duration // default 100 ms, doubling
	// WriteTimeout bounds one attempt to write a batch. Default 30 s.
	WriteTimeout time.Duration
	// Linger is how long the writer waits for more records to share a
	// transaction once one arrives, when fewer than a batch are waiting: a
	// commit (and its WAL frames) costs far more than a row, so at low load
	// this saves most of the recorder's CPU. The writer sleeps through it
	// rather than waking for every record, and is woken early when a batch
	// is waiting or when someone waits for their record (Commit, Sync): those
	// are never held by the linger, and what queues during one commit goes
	// in the next (group commit). Default 500 ms; negative: never wait.
	Linger time.Duration
	// SpoolPath is the append-only file records go to when the queue is full
	// or the database refuses them; "" keeps no spool.
	SpoolPath string
	// MemoryBudget bounds, in bytes, the records in memory: those queued
	// (past it a record goes to the spool, as when the queue is full) and
	// those kept while neither the database nor the spool takes them
	// (retried every second; beyond the budget they are dropped, each
	// logged with its request id). Default 256 MiB.
	MemoryBudget int64
	// OnCommit, when set, hears of every batch written: its size (calls and
	// session states) and how long the write took.
	OnCommit func(size int, took time.Duration)
	// RetryEvery is how often, while the database refuses records, the
	// writer tries it again (the spool's replay, what memory holds);
	// between tries the records go to the spool without trying it. Default
	// 1 s.
	RetryEvery time.Duration
	// Disks are the files, besides the spool, whose file systems the
	// records are written to (a SQLite database's file): Room watches
	// their free space.
	Disks []string
	// FreeSpace, when set, stands in for asking a directory's file system
	// its free bytes (tests).
	FreeSpace func(dir string) (uint64, error)
}

// Stats are the recorder's counters since start.
type Stats struct {
	Queued      int   // waiting now
	QueuedBytes int64 // their estimated size, with the batch being written
	Written     int64 // calls committed
	Spooled     int64 // items put in the spool
	Replayed    int64 // items written from the spool
	SpoolBytes  int64 // spool bytes the database does not have yet
	Held        int   // items kept in memory now: neither the database nor the spool took them
	HeldBytes   int64 // their estimated size, bounded by Options.MemoryBudget
	Dropped     int64 // calls lost: over the memory budget, or still held at shutdown
	Corrupt     int64 // unreadable spool lines set aside in the spool's .corrupt file
	// Rejected is the records the database refuses for what they hold
	// (qp.ErrRecordRefused), set aside in the spool's .rejected file (or
	// dropped, without a spool) so that the others are written.
	Rejected int64
	// Refusal is the database's answer to the last batch written while it
	// refuses them ("" once one is taken): the disk under it full, say,
	// while a health check's small write still fits.
	Refusal string
}

// ErrNotDurable is Commit's answer when the record could be kept only in
// memory (neither the database nor the spool took it) or was dropped.
var ErrNotDurable = errors.New("recorder: record kept in memory only: neither the database nor the spool takes writes")

// Recorder is the bounded queue and its writer.
type Recorder struct {
	w      qp.BatchWriter
	log    *slog.Logger
	opt    Options
	q      chan item
	wake   chan struct{} // a batch, or a caller who waits, is queued: stop lingering
	done   chan struct{}
	giveUp chan struct{} // closed when Close's deadline passed
	// writes bounds every database write: cancelled with giveUp, so a write
	// stuck in a database that does not answer is abandoned at the stop's
	// deadline and its records go to the spool, instead of holding them
	// for its own 30 seconds after it.
	writes        context.Context
	abandonWrites context.CancelFunc
	// replaying is set while the start replays what an earlier run left
	// in the spool: records go to the spool behind it meanwhile, durable
	// at once, instead of waiting in the queue (in memory) for the whole
	// replay.
	replaying atomic.Bool

	mu     sync.RWMutex // guards closed against sends on a closed channel
	closed bool
	spool  *spool // nil: no spool

	parkMu sync.Mutex // one placement at a time keeps memory and spool in order
	held   memory     // what neither the database nor the spool took

	// writeWarn and replayWarn keep a database that stays away from
	// logging on every retry, spoolWarn a spool that refuses writes on
	// every record parked.
	writeWarn, replayWarn, spoolWarn quietlog.Log

	written, spooled, replayed, dropped, rejected atomic.Int64
	// setAsideIDs are the calls set aside so far (setAside), bounded; the
	// writer's alone.
	setAsideIDs map[string]bool
	refusal     atomic.Pointer[string] // Stats.Refusal; nil: none
	// queuedBytes is the estimated size of what waits in the queue or in
	// the writer's hands: with what memory holds, within
	// Options.MemoryBudget.
	queuedBytes atomic.Int64
	// refusedAt is when the database last failed a write (zero once one
	// succeeds); the writer's alone. Within Options.RetryEvery of it a
	// batch goes to the spool behind the records already there without
	// trying the database: each try waits out the database's busy timeout,
	// and a caller of Commit (RECORDER_SYNC) waited for the replay's try
	// and then its own batch's, and for the idle retry's before them.
	refusedAt time.Time
}

// item is a record, a session's state, or a barrier that Sync waits on.
// placed, when set, hears where a record ended up (nil: durable); a
// barrier hears whether everything before it is in the database (see
// InDatabase).
type item struct {
	ex      *qp.Exchange
	session *qp.Session
	barrier chan bool
	placed  chan error
}

// New starts a recorder writing to w. With a spool path it first replays
// what an earlier run left in the spool.
func New(w qp.BatchWriter, log *slog.Logger, opt Options) (*Recorder, error) {
	if opt.QueueSize <= 0 {
		opt.QueueSize = 10000
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 500
	}
	if opt.WriteRetries <= 0 {
		opt.WriteRetries = 3
	}
	if opt.RetryDelay <= 0 {
		opt.RetryDelay = 100 * time.Millisecond
	}
	if opt.WriteTimeout <= 0 {
		opt.WriteTimeout = 30 * time.Second
	}
	if opt.Linger == 0 {
		opt.Linger = 500 * time.Millisecond
	}
	if opt.MemoryBudget <= 0 {
		opt.MemoryBudget = 256 << 20
	}
	if opt.RetryEvery <= 0 {
		opt.RetryEvery = time.Second
	}
	r := &Recorder{w: w, log: log, opt: opt, q: make(chan item, opt.QueueSize), wake: make(chan struct{}, 1), done: make(chan struct{}), giveUp: make(chan struct{}),
		setAsideIDs: map[string]bool{}}
	r.writes, r.abandonWrites = context.WithCancel(context.Background())
	if opt.SpoolPath != "" {
		sp, err := openSpool(opt.SpoolPath)
		if err != nil {
			return nil, err
		}
		r.spool = sp
		if sp.size > 0 {
			log.Info("replaying recorder spool", "path", opt.SpoolPath, "bytes", sp.size)
			r.replaying.Store(true)
		}
	}
	go r.run()
	return r, nil
}

// Record queues one exchange without blocking. It reports false when the
// record was dropped; that is counted and logged here.
func (r *Recorder) Record(e qp.Exchange) bool {
	return r.enqueue(item{ex: &e}) != errDropped
}

// Commit records one exchange and returns once it survives the process
// being killed: committed to the database, or appended to the spool (in the
// operating system's hands; power loss is another matter). Calls waiting
// together share one transaction. It returns ErrNotDurable when the record
// could only be kept in memory, and ctx's error if ctx ends first (the record
// is still written).
func (r *Recorder) Commit(ctx context.Context, e qp.Exchange) error {
	placed := make(chan error, 1)
	if err := r.enqueue(item{ex: &e, placed: placed}); err != errQueued {
		return err
	}
	select {
	case err := <-placed:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SaveSession queues a session's current state, written before any later
// record.
func (r *Recorder) SaveSession(s qp.Session) {
	r.enqueue(item{session: &s})
}

var (
	errQueued  = errors.New("queued")
	errDropped = errors.New("dropped")
)

// enqueue queues it or, when the queue is full, places it at once (spool,
// else memory), never blocking the caller. It returns errQueued, nil
// (durable), ErrNotDurable or errDropped.
func (r *Recorder) enqueue(it item) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		r.dropAll([]item{it}, "recorder closed")
		return errDropped
	}
	if r.replaying.Load() {
		_, err := r.park([]item{it})
		return err
	}
	// Large records fill memory long before the queue's count: past the
	// budget they go to the spool as a full queue's do.
	size := it.size()
	if r.queuedBytes.Add(size) <= r.opt.MemoryBudget {
		select {
		case r.q <- it:
			if it.placed != nil || len(r.q)+1 >= r.opt.BatchSize { // +1: the one in the writer's hands
				r.hurry()
			}
			return errQueued
		default:
		}
	}
	r.queuedBytes.Add(-size)
	_, err := r.park([]item{it})
	return err
}

// Durable reports whether records are being kept durably: false while
// records wait in memory because neither the database nor the spool takes
// them.
func (r *Recorder) Durable() bool { return r.held.len() == 0 }

// Stats returns the counters.
func (r *Recorder) Stats() Stats {
	st := Stats{Queued: len(r.q), QueuedBytes: r.queuedBytes.Load(), Written: r.written.Load(), Spooled: r.spooled.Load(), Replayed: r.replayed.Load(),
		Dropped: r.dropped.Load(), Rejected: r.rejected.Load()}
	st.Held, st.HeldBytes = r.held.stats()
	if r.spool != nil {
		st.SpoolBytes, st.Corrupt = r.spool.bytes(), r.spool.corruptLines()
	}
	if refusal := r.refusal.Load(); refusal != nil {
		st.Refusal = *refusal
	}
	return st
}

// Close stops accepting records, writes everything queued, and returns when
// the writer is done or ctx ends. Records that only memory holds are retried
// until then; those still held at the deadline are dropped, each logged.
func (r *Recorder) Close(ctx context.Context) error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.q)
	}
	r.mu.Unlock()
	r.hurry()
	select {
	case <-r.done:
	case <-ctx.Done():
		dropped := r.dropped.Load()
		r.giveUpOnce()
		select {
		case <-r.done:
		case <-time.After(5 * time.Second): // a write that ignores its context
			return errors.New("recorder: records still queued at shutdown deadline")
		}
		if lost := r.dropped.Load() - dropped; lost > 0 {
			return fmt.Errorf("recorder: %d records dropped at the shutdown deadline: neither the database nor the spool took them", lost)
		}
	}
	if r.spool != nil {
		return r.spool.close()
	}
	return nil
}

func (r *Recorder) giveUpOnce() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.giveUp:
	default:
		close(r.giveUp)
		r.abandonWrites()
	}
}

// givenUp reports whether Close's deadline has passed: the database is
// tried no more, and what is left goes to the spool.
func (r *Recorder) givenUp() bool {
	select {
	case <-r.giveUp:
		return true
	default:
		return false
	}
}

// Sync returns once every record queued before the call is committed (or
// placed elsewhere: the spool, memory), or when ctx ends.
func (r *Recorder) Sync(ctx context.Context) error {
	_, err := r.barrier(ctx)
	return err
}

// ErrNotInDatabase is InDatabase's answer when records queued before it are
// in the spool or in memory instead of the database (which refuses them, or
// is not there): a record looked for there may be among them.
var ErrNotInDatabase = errors.New("recorder: records are held in memory or spooled, not in the database yet")

// InDatabase is Sync for a reader that looks a record up in the database by
// its id: it returns nil once every record queued before the call is in the
// database, and ErrNotInDatabase when the writer placed some elsewhere (the
// spool, memory) — so that a record not found there may still exist, and a
// read of one a client was just given is no "not found". Records the spool
// or memory holds from before count too, and so may records queued after
// the call that a full queue sent to the spool: it errs on "may be there".
// With nothing held it costs what Sync does.
func (r *Recorder) InDatabase(ctx context.Context) error {
	inDatabase, err := r.barrier(ctx)
	switch {
	case err != nil:
		return err
	case !inDatabase:
		return ErrNotInDatabase
	}
	return nil
}

// barrier queues a barrier and waits for the writer to reach it: it reports
// whether everything before it is in the database (not spooled, not held).
func (r *Recorder) barrier(ctx context.Context) (inDatabase bool, err error) {
	barrier := make(chan bool, 1) // the writer never waits on a reader gone
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return false, errors.New("recorder: closed")
	}
	select {
	case r.q <- item{barrier: barrier}:
		r.mu.RUnlock()
		r.hurry()
	case <-ctx.Done():
		r.mu.RUnlock()
		return false, ctx.Err()
	}
	select {
	case inDatabase = <-barrier:
		return inDatabase, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// allInDatabase reports whether neither the spool nor memory holds a
// record the database has not taken.
func (r *Recorder) allInDatabase() bool {
	return r.held.len() == 0 && (r.spool == nil || r.spool.bytes() == 0)
}

func (r *Recorder) run() {
	defer close(r.done)
	var b batch
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	// While idle, retry the spool and what memory holds now and then: the
	// database (or the spool's disk) may be back.
	retry := time.NewTicker(r.opt.RetryEvery)
	defer retry.Stop()
	r.drain()
	// What was spooled meanwhile is replayed before the next batch (write
	// drains first) or at the next tick.
	r.replaying.Store(false)
	for {
		var it item
		var ok bool
		select {
		case it, ok = <-r.q:
		case <-retry.C:
			// Records waiting go first: their batch tries the database
			// itself, or goes to the spool behind what it holds.
			if len(r.q) == 0 {
				r.drain()
			}
			continue
		}
		if !ok {
			r.finalDrain(retry.C)
			return
		}
		b.taken += it.size()
		if r.add(&b, it) {
			continue // a barrier: everything before it is written
		}
		r.linger(&b, linger)
		// Take what has queued meanwhile, up to a batch.
	fill:
		for len(b.Exchanges)+len(b.Sessions) < r.opt.BatchSize {
			select {
			case more, ok := <-r.q:
				if !ok {
					break fill
				}
				b.taken += more.size()
				if r.add(&b, more) {
					break fill
				}
			default:
				break fill
			}
		}
		r.write(&b, false)
	}
}

// linger waits, once the batch holds a record, for others to share its
// transaction: up to Options.Linger, less when a batch is already queued or
// a caller waits for their record (then not at all: waiters queued while the
// last commit ran share this one).
func (r *Recorder) linger(b *batch, t *time.Timer) {
	if r.opt.Linger <= 0 || len(b.waiting) > 0 || len(b.Exchanges)+len(b.Sessions)+len(r.q) >= r.opt.BatchSize {
		return
	}
	// A wake left from before this batch began ends the linger early: a
	// commit with fewer records, never a caller kept waiting.
	t.Reset(r.opt.Linger)
	select {
	case <-t.C:
	case <-r.wake:
		t.Stop()
	}
}

// hurry wakes a lingering writer.
func (r *Recorder) hurry() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// finalDrain, at shutdown, retries what memory holds until it is placed or
// Close gives up, then drops the rest, logging each.
func (r *Recorder) finalDrain(tick <-chan time.Time) {
	for r.drain(); r.held.len() > 0; r.drain() {
		select {
		case <-tick:
		case <-r.giveUp:
			held := r.held.take()
			r.dropAll(held, "shutdown deadline passed")
			r.held.settle(held)
			return
		}
	}
}

// batch is a qp.Batch being filled, with each session once (its latest
// state), and the callers waiting to hear where it went.
type batch struct {
	qp.Batch
	sessionAt map[string]int
	waiting   []waiter
	taken     int64 // bytes taken from the queue, counted until written
}

// waiter is a caller waiting to hear where the record at Exchanges[at] went.
type waiter struct {
	at     int
	placed chan error
}

// reset empties the batch for the next one, keeping its arrays but not what
// they held: a written record's bodies must not stay reachable until a later
// batch as large happens to overwrite them.
func (b *batch) reset() {
	clear(b.Sessions)
	clear(b.Exchanges)
	clear(b.waiting)
	b.Sessions, b.Exchanges, b.waiting = b.Sessions[:0], b.Exchanges[:0], b.waiting[:0]
	clear(b.sessionAt)
}

// tell lets every waiting caller know where their record went.
func (b *batch) tell(err error) {
	b.tellParked(0, err)
}

// tellParked lets every waiting caller know where their record went once
// the batch's items (items: sessions, then calls) were parked: the first
// spooled of them are durable, the others are where err says. A batch a
// nearly full disk took in part told every caller ErrNotDurable, those
// whose records it took too.
func (b *batch) tellParked(spooled int, err error) {
	for _, w := range b.waiting {
		if len(b.Sessions)+w.at < spooled {
			w.placed <- nil
		} else {
			w.placed <- err
		}
	}
	b.waiting = b.waiting[:0]
}

// add puts an item in the batch. A barrier writes the batch at once; add
// then reports true.
func (r *Recorder) add(b *batch, it item) bool {
	switch {
	case it.ex != nil:
		b.Exchanges = append(b.Exchanges, *it.ex)
		if it.placed != nil {
			b.waiting = append(b.waiting, waiter{at: len(b.Exchanges) - 1, placed: it.placed})
		}
	case it.session != nil:
		if b.sessionAt == nil {
			b.sessionAt = map[string]int{}
		}
		if i, ok := b.sessionAt[it.session.ID]; ok {
			b.Sessions[i] = it.session.Replacing(b.Sessions[i])
		} else {
			b.sessionAt[it.session.ID] = len(b.Sessions)
			b.Sessions = append(b.Sessions, *it.session)
		}
	default:
		r.write(b, true)
		it.barrier <- r.allInDatabase()
		return true
	}
	return false
}

// write writes the batch, after what the spool and memory hold, or parks
// it; retry tries the database even when it refused a write a moment ago
// (a barrier: Sync's caller asks for everything before it written).
func (r *Recorder) write(b *batch, retry bool) {
	defer func() {
		r.queuedBytes.Add(-b.taken)
		b.taken = 0
		b.reset()
	}()
	if len(b.Exchanges) == 0 && len(b.Sessions) == 0 {
		r.drain() // a barrier: the spool too should be written by now
		return
	}
	// What waits in the spool or in memory is older: it goes first. The
	// database that refused a write a moment ago is not tried again yet.
	if (!retry && r.refusedRecently()) || !r.drain() {
		b.tellParked(r.park(b.release(r)))
		return
	}
	setAside, err := r.commit(b.Batch)
	if err != nil {
		r.refusedAt = time.Now()
		r.writeWarn.Warn(r.log, "database refused a batch; spooling it", "records", len(b.Exchanges), "sessions", len(b.Sessions), "err", err)
		b.tellParked(r.park(b.release(r)))
		return
	}
	r.written.Add(int64(len(b.Exchanges) - setAside))
	b.tell(nil)
}

// refusedRecently reports whether the database failed a write within
// Options.RetryEvery, while the spool or memory holds records it has not
// taken yet: the next try is the idle retry's (or the batch's after it).
func (r *Recorder) refusedRecently() bool {
	if r.refusedAt.IsZero() || time.Since(r.refusedAt) >= r.opt.RetryEvery {
		return false
	}
	return r.held.len() > 0 || (r.spool != nil && r.spool.bytes() > 0)
}

// commit writes one batch, retrying with backoff, and returns how many of
// its calls were set aside (see writeOnce).
func (r *Recorder) commit(b qp.Batch) (setAside int, err error) {
	delay := r.opt.RetryDelay
	for attempt := 0; attempt <= r.opt.WriteRetries; attempt++ {
		if attempt > 0 {
			if r.givenUp() {
				break // the stop's deadline passed: the spool takes them now
			}
			time.Sleep(delay) // the writer's own backoff; nothing waits on it
			delay *= 2
		}
		if setAside, err = r.writeOnce(b); err == nil {
			return setAside, nil
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, qp.ErrDatabaseBusy) || errors.Is(err, qp.ErrNewerSchema) {
			// The database did not answer within WriteTimeout (hung, or the
			// network to it), or another held its lock past the busy
			// timeout: trying again at once would hold the batch, and with
			// RECORDER_SYNC its callers' answers, as long again each time.
			// A newer version's schema stays until that version replaces
			// this one. The spool takes it; the replay tries the database.
			break
		}
	}
	return 0, err
}

// writeOnce writes one batch, once, and returns how many of its calls it
// set aside: a batch the database refuses for what a record holds is written
// in parts, and the record refused alone is set aside (see isolate).
func (r *Recorder) writeOnce(b qp.Batch) (setAside int, err error) {
	err = r.writeBatch(b)
	if errors.Is(err, qp.ErrRecordRefused) {
		return r.isolate(b, err)
	}
	return 0, err
}

// writeBatch writes one batch, once, as it is.
func (r *Recorder) writeBatch(b qp.Batch) error {
	// Writes outlive any request: they use their own bounded context.
	ctx, cancel := context.WithTimeout(r.writes, r.opt.WriteTimeout)
	defer cancel()
	start := time.Now()
	if err := r.w.WriteBatch(ctx, b); err != nil {
		if errors.Is(err, qp.ErrRecordRefused) {
			// The database answered, and takes writes: it refuses what one
			// record holds, which isolate sets aside. Kept as its refusal,
			// this left readiness failing until another batch was written,
			// on an idle instance (out of a load balancer's rotation) for good.
			r.refusal.Store(nil)
			return err
		}
		refusal := err.Error()
		r.refusal.Store(&refusal)
		return err
	}
	r.refusal.Store(nil)
	// Here, not in write alone: a database back while the writer is idle
	// takes the spool's replay first, and a refusal never ended left the
	// next outage within the minute out of the log altogether.
	r.writeWarn.Recovered(r.log, "database takes batches again")
	if r.opt.OnCommit != nil {
		r.opt.OnCommit(len(b.Exchanges)+len(b.Sessions), time.Since(start))
	}
	return nil
}

// release hands the batch's items over to be parked: their bytes leave the
// queue's count (memory's count takes those it keeps).
func (b *batch) release(r *Recorder) []item {
	r.queuedBytes.Add(-b.taken)
	b.taken = 0
	return b.items()
}

// items turns the batch back into queue items, for the spool.
func (b *batch) items() []item {
	out := make([]item, 0, len(b.Sessions)+len(b.Exchanges))
	for i := range b.Sessions {
		out = append(out, item{session: &b.Sessions[i]})
	}
	for i := range b.Exchanges {
		out = append(out, item{ex: &b.Exchanges[i]})
	}
	return out
}
