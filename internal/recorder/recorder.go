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
}

// Stats are the recorder's counters since start.
type Stats struct {
	Queued  int   // waiting now
	Written int64 // committed
	Failed  int64 // given up after retries
	Dropped int64 // refused because the queue was full or closed
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

	written, failed, dropped atomic.Int64
}

// item is a record, a session's state, or a barrier that Sync waits on.
type item struct {
	ex      *qp.Exchange
	session *qp.Session
	barrier chan struct{}
}

// New starts a recorder writing to w.
func New(w qp.BatchWriter, log *slog.Logger, opt Options) *Recorder {
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
	go r.run()
	return r
}

// Record queues one exchange without blocking. It reports false when the
// record could not be queued; that is counted and logged here.
func (r *Recorder) Record(e qp.Exchange) bool {
	if r.enqueue(item{ex: &e}) {
		return true
	}
	r.log.Error("record dropped: recorder queue full or closed", "request_id", e.Request.RequestID)
	return false
}

// SaveSession queues a session's current state, written before any later
// record. A session that cannot be queued is counted and logged; its calls
// are still recorded, without it.
func (r *Recorder) SaveSession(s qp.Session) {
	if !r.enqueue(item{session: &s}) {
		r.log.Error("session state dropped: recorder queue full or closed", "session_id", s.ID)
	}
}

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
	r.dropped.Add(1)
	return false
}

// Stats returns the counters.
func (r *Recorder) Stats() Stats {
	return Stats{Queued: len(r.q), Written: r.written.Load(), Failed: r.failed.Load(), Dropped: r.dropped.Load()}
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
	for it := range r.q {
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
		return
	}
	delay := r.opt.RetryDelay
	var err error
	for attempt := 0; attempt <= r.opt.WriteRetries; attempt++ {
		if attempt > 0 {
			time.Sleep(delay) // the writer's own backoff; nothing waits on it
			delay *= 2
		}
		// Writes outlive any request: they use their own bounded context.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = r.w.WriteBatch(ctx, b.Batch)
		cancel()
		if err == nil {
			r.written.Add(int64(len(b.Exchanges)))
			return
		}
		r.log.Warn("recording batch failed", "records", len(b.Exchanges), "sessions", len(b.Sessions), "attempt", attempt+1, "err", err)
	}
	r.failed.Add(int64(len(b.Exchanges)))
	r.log.Error("records lost after retries", "records", len(b.Exchanges), "sessions", len(b.Sessions), "err", err)
}
