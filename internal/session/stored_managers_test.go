package session

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// storedManagers is a store on one backend and the managers a test starts
// over it, each standing for a restarted process or another instance: each
// saves its sessions to the store as the recorder writes them behind, all
// draw session ids from one sequence (s1, s2, …) and read the time from
// clock, which the test moves — by tick at every read where tick is set.
// Instances may read it at once (two turns begun together): clockMu
// guards each read.
type storedManagers struct {
	t       *testing.T
	st      *sqlstore.Store
	ids     atomic.Int32
	clockMu sync.Mutex
	clock   time.Time
	tick    time.Duration
}

func newStoredManagers(t *testing.T, backend string) *storedManagers {
	return &storedManagers{t: t, st: storetest.Open(t, storetest.URL(t, backend)), clock: time.Now().Truncate(time.Millisecond)}
}

// instance starts a manager over the store, as a restarted process or
// another instance would be.
func (w *storedManagers) instance() *Manager {
	save := func(s qp.Session) {
		if err := w.st.WriteBatch(context.Background(), qp.Batch{Sessions: []qp.Session{s}}); err != nil {
			w.t.Error(err)
		}
	}
	m := NewManager(w.st, w.st.Locker(), save, time.Hour, func() string { return fmt.Sprintf("s%d", w.ids.Add(1)) })
	m.now = func() time.Time {
		w.clockMu.Lock()
		defer w.clockMu.Unlock()
		w.clock = w.clock.Add(w.tick)
		return w.clock
	}
	return m
}
