// Package keylimit bounds each stored API key's calls in flight (its
// MaxConcurrent, `qwenproxy keys add --max-concurrent`), so that one runaway
// agent cannot take all of the proxy's upstream capacity. On one instance
// (SQLite) it counts them in memory; where instances share a PostgreSQL
// database it counts them there (qp.KeyCallStore), so that several
// instances behind a balancer enforce one limit between them.
package keylimit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/quietlog"
)

// DefaultLease is how long a call's row counts in the database without being
// renewed: an instance that dies mid-call (kill -9, the machine gone) holds
// its places at most this long. Renewed every third of it.
const DefaultLease = 30 * time.Second

// storeTimeout bounds each database statement: a database that stops
// answering must not hold a call's admission or end.
const storeTimeout = 5 * time.Second

// Limiter counts limited keys' calls in flight. The zero Limiter is not
// ready: use New.
type Limiter struct {
	store qp.KeyCallStore // nil: this instance alone
	lease time.Duration
	log   *slog.Logger
	now   func() time.Time

	mu     sync.Mutex
	local  map[string]int     // key → its calls counted here
	placed map[string]placing // call → its place, until Release
	// storeLog reports the database failing to count: each call then is
	// counted here, the limit held per instance until it answers again.
	storeLog quietlog.Log
}

// placing is where a call's place is counted.
type placing struct {
	key    string
	shared bool // a row in the store; else the local count
}

// Options configure a Limiter.
type Options struct {
	// Store counts calls between instances; nil counts on this one alone.
	Store qp.KeyCallStore
	// Lease is how long a row counts unrenewed (DefaultLease if 0).
	Lease time.Duration
	Log   *slog.Logger
	Now   func() time.Time // time.Now if nil
}

// New returns a Limiter.
func New(o Options) *Limiter {
	l := &Limiter{store: o.Store, lease: o.Lease, log: o.Log, now: o.Now,
		local: map[string]int{}, placed: map[string]placing{}}
	if l.lease <= 0 {
		l.lease = DefaultLease
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.now == nil {
		l.now = time.Now
	}
	return l
}

// Take gives call a place among key's calls in flight unless the key has its
// limit of them already, and reports whether it did and the limit it held
// the call to. max is the key's limit as this instance last read it (keys
// are re-read each second); with a store, the stored limit counts, read
// with the calls. A store that fails leaves the call to the local count.
func (l *Limiter) Take(ctx context.Context, key, call string, max int) (bool, int) {
	if l.store != nil {
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		now := l.now()
		taken, limit, err := l.store.TakeKeyCall(sctx, key, call, now, now.Add(l.lease))
		cancel()
		if err == nil {
			l.storeLog.Recovered(l.log, "API keys' calls in flight are counted in the database again")
			if taken && limit > 0 {
				l.mu.Lock()
				l.placed[call] = placing{key: key, shared: true}
				l.mu.Unlock()
			}
			return taken, limit
		}
		if ctx.Err() != nil {
			return false, max
		}
		l.storeLog.Warn(l.log, "the database did not count an API key's calls in flight: counted on this instance alone until it does", "err", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.local[key] >= max {
		return false, max
	}
	l.local[key]++
	l.placed[call] = placing{key: key}
	return true, max
}

// Release gives call's place back; a call without one is ignored.
func (l *Limiter) Release(call string) {
	l.mu.Lock()
	p, ok := l.placed[call]
	delete(l.placed, call)
	if ok && !p.shared {
		if l.local[p.key]--; l.local[p.key] <= 0 {
			delete(l.local, p.key)
		}
	}
	l.mu.Unlock()
	if !ok || !p.shared {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := l.store.EndKeyCall(ctx, call); err != nil {
		// Its row counts until its lease runs out.
		l.storeLog.Warn(l.log, "the database did not take an API key's call as ended: its place stays taken until its lease runs out",
			"lease", l.lease.String(), "err", err)
	}
}

// Run renews the leases of this instance's calls in the store until ctx
// ends. Without a store it returns at once.
func (l *Limiter) Run(ctx context.Context) {
	if l.store == nil {
		return
	}
	tick := time.NewTicker(l.lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			l.Renew(ctx)
		}
	}
}

// Renew moves the leases of this instance's calls in the store a lease
// from now.
func (l *Limiter) Renew(ctx context.Context) {
	l.mu.Lock()
	var calls []string
	for call, p := range l.placed {
		if p.shared {
			calls = append(calls, call)
		}
	}
	l.mu.Unlock()
	if len(calls) == 0 {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	if err := l.store.RenewKeyCalls(sctx, calls, l.now().Add(l.lease)); err != nil {
		l.storeLog.Warn(l.log, "the database did not renew the leases of API keys' calls in flight", "calls", len(calls), "err", err)
	}
}
