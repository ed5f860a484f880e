// Package recorder writes recorded exchanges, and the sessions they belong
// to, to the store off the request path: handlers hand them to a bounded
// queue, one writer goroutine commits them in order, in batches. A handler
// never waits for the database.
package recorder

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	qp "qwenproxy"
)

// Options size the recorder. Zero values take the defaults.
type Options struct {
	QueueSize int // records waiting for the writer; default 10000
	BatchSize int // records per transaction; default 100
	// WriteRetries is how often a failed batch is tried again before its
	// records are counted as failed. Default 3.
	WriteRetries int
	RetryDelay   time.Duration // default 100 ms, doubling
	// Linger is how long the writer waits for more records to share a
	// transaction once one arrives, when fewer than a batch are waiting: a
	// commit costs far more than a row, so at low load this saves most of
	// the recorder's CPU. Default 10 ms; negative: never wait.
	Linger time.Duration
	// SpoolPath is the append-only file records go to when the queue is full
	// or the database refuses them; "" keeps no spool (they are dropped).
	SpoolPath string
	// OnCommit, when set, hears of every batch written: its size (calls and
	// session states) and how long the write took.
	OnCommit func(size int, took time.Duration)
}

// Stats are the recorder's counters since start.
type Stats struct {
	Queued     int   // waiting now
	Written    int64 // calls committed
	Spooled    int64 // items put in the spool
	Replayed   int64 // items written from the spool
	SpoolBytes int64 // spool size now
	Dropped    int64 // items lost: no spool, or the spool failed too
}

// Recorder is the bounded queue and its writer.
type Recorder struct {
	w    qp.BatchWriter
	log  *slog.Logger
	opt  Options
	q    chan item
	done chan struct{}

	mu     sync.RWMutex // guards closed against sends on a closed channel
	closed bool
	spool  *spool // nil: no spool

	written, spooled, replayed, dropped atomic.Int64
}

// item is a record, a session's state, or a barrier that Sync waits on.
type item struct {
	ex      *qp.Exchange
	session *qp.Session
	barrier chan struct{}
}

// New starts a recorder writing to w. With a spool path it first replays
// what an earlier run left in the spool.
func New(w qp.BatchWriter, log *slog.Logger, opt Options) (*Recorder, error) {
	if opt.QueueSize <= 0 {
		opt.QueueSize = 10000
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 100
	}
	if opt.WriteRetries <= 0 {
		opt.WriteRetries = 3
	}
	if opt.RetryDelay <= 0 {
		opt.RetryDelay = 100 * time.Millisecond
	}
	if opt.Linger == 0 {
		opt.Linger = 10 * time.Millisecond
	}
	r := &Recorder{w: w, log: log, opt: opt, q: make(chan item, opt.QueueSize), done: make(chan struct{})}
	if opt.SpoolPath != "" {
		sp, err := openSpool(opt.SpoolPath)
		if err != nil {
			return nil, err
		}
		r.spool = sp
		if sp.size > 0 {
			log.Info("replaying recorder spool", "path", opt.SpoolPath, "bytes", sp.size)
		}
	}
	go r.run()
	return r, nil
}

// Record queues one exchange without blocking. It reports false when the
// record could not be queued; that is counted and logged here.
func (r *Recorder) Record(e qp.Exchange) bool {
	if r.enqueue(item{ex: &e}) {
		return true
	}
	r.log.Error("record dropped: recorder queue full or closed, and no spool took it", "request_id", e.Request.RequestID)
	return false
}

// SaveSession queues a session's current state, written before any later
// record. A session that cannot be queued is counted and logged; its calls
// are still recorded, without it.
func (r *Recorder) SaveSession(s qp.Session) {
	if !r.enqueue(item{session: &s}) {
		r.log.Error("session state dropped: recorder queue full or closed, and no spool took it", "session_id", s.ID)
	}
}

// enqueue queues it, or spools it when the queue is full (never blocking
// the caller), and reports whether it was kept.
func (r *Recorder) enqueue(it item) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if !r.closed {
		select {
		case r.q <- it:
			return true
		default:
		}
	}
	return r.toSpool([]item{it})
}

// toSpool keeps items in the spool, or counts them dropped.
func (r *Recorder) toSpool(items []item) bool {
	if r.spool != nil {
		err := r.spool.append(items)
		if err == nil {
			r.spooled.Add(int64(len(items)))
			return true
		}
		r.log.Error("recorder spool failed", "err", err)
	}
	r.dropped.Add(int64(len(items)))
	return false
}

// Stats returns the counters.
func (r *Recorder) Stats() Stats {
	st := Stats{Queued: len(r.q), Written: r.written.Load(), Spooled: r.spooled.Load(), Replayed: r.replayed.Load(), Dropped: r.dropped.Load()}
	if r.spool != nil {
		st.SpoolBytes = r.spool.bytes()
	}
	return st
}

// Close stops accepting records, writes everything queued, and returns when
// the writer is done or ctx ends.
func (r *Recorder) Close(ctx context.Context) error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.q)
	}
	r.mu.Unlock()
	select {
	case <-r.done:
		if r.spool != nil {
			return r.spool.close()
		}
		return nil
	case <-ctx.Done():
		return errors.New("recorder: records still queued at shutdown deadline")
	}
}

// Sync returns once every record queued before the call is committed (or
// given up), or when ctx ends.
func (r *Recorder) Sync(ctx context.Context) error {
	barrier := make(chan struct{})
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return errors.New("recorder: closed")
	}
	select {
	case r.q <- item{barrier: barrier}:
		r.mu.RUnlock()
	case <-ctx.Done():
		r.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case <-barrier:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Recorder) run() {
	defer close(r.done)
	var b batch
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	// While idle, retry the spool now and then: the database may be back.
	retry := time.NewTicker(time.Second)
	defer retry.Stop()
	r.replaySpool()
	for {
		var it item
		var ok bool
		select {
		case it, ok = <-r.q:
		case <-retry.C:
			r.replaySpool()
			continue
		}
		if !ok {
			return
		}
		if r.add(&b, it) {
			continue // a barrier: everything before it is written
		}
		// Take what else arrives within the linger time, up to a batch.
		if r.opt.Linger > 0 {
			linger.Reset(r.opt.Linger)
		}
	fill:
		for len(b.Exchanges)+len(b.Sessions) < r.opt.BatchSize {
			var more item
			var ok bool
			if r.opt.Linger > 0 {
				select {
				case more, ok = <-r.q:
				case <-linger.C:
					break fill
				}
			} else {
				select {
				case more, ok = <-r.q:
				default:
					break fill
				}
			}
			if !ok || r.add(&b, more) {
				break fill
			}
		}
		linger.Stop()
		r.write(&b)
	}
}

// batch is a qp.Batch being filled, with each session once (its latest state).
type batch struct {
	qp.Batch
	sessionAt map[string]int
}

func (b *batch) reset() {
	b.Sessions, b.Exchanges = b.Sessions[:0], b.Exchanges[:0]
	clear(b.sessionAt)
}

// add puts an item in the batch. A barrier writes the batch at once; add
// then reports true.
func (r *Recorder) add(b *batch, it item) bool {
	switch {
	case it.ex != nil:
		b.Exchanges = append(b.Exchanges, *it.ex)
	case it.session != nil:
		if b.sessionAt == nil {
			b.sessionAt = map[string]int{}
		}
		if i, ok := b.sessionAt[it.session.ID]; ok {
			b.Sessions[i] = *it.session
		} else {
			b.sessionAt[it.session.ID] = len(b.Sessions)
			b.Sessions = append(b.Sessions, *it.session)
		}
	default:
		r.write(b)
		close(it.barrier)
		return true
	}
	return false
}

func (r *Recorder) write(b *batch) {
	defer b.reset()
	if len(b.Exchanges) == 0 && len(b.Sessions) == 0 {
		r.replaySpool() // a barrier: the spool too should be written by now
		return
	}
	// What waits in the spool is older: it goes first.
	if !r.replaySpool() {
		r.toSpool(b.items())
		return
	}
	if err := r.commit(b.Batch); err != nil {
		r.log.Warn("database refused a batch; spooled", "records", len(b.Exchanges), "sessions", len(b.Sessions), "err", err)
		r.toSpool(b.items())
		return
	}
	r.written.Add(int64(len(b.Exchanges)))
}

// commit writes one batch, retrying with backoff.
func (r *Recorder) commit(b qp.Batch) error {
	delay := r.opt.RetryDelay
	var err error
	for attempt := 0; attempt <= r.opt.WriteRetries; attempt++ {
		if attempt > 0 {
			time.Sleep(delay) // the writer's own backoff; nothing waits on it
			delay *= 2
		}
		// Writes outlive any request: they use their own bounded context.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		err = r.w.WriteBatch(ctx, b)
		cancel()
		if err == nil {
			if r.opt.OnCommit != nil {
				r.opt.OnCommit(len(b.Exchanges)+len(b.Sessions), time.Since(start))
			}
			return nil
		}
	}
	return err
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
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := r.w.WriteBatch(ctx, b.Batch); err != nil {
			return err
		}
		r.written.Add(int64(len(b.Exchanges)))
		return nil
	})
	r.replayed.Add(int64(n))
	if err != nil {
		r.log.Warn("spool replay stopped; will retry", "replayed", n, "err", err)
		return false
	}
	if n > 0 {
		r.log.Info("spool replayed", "items", n)
	}
	return true
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
