package historyapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"qwenproxy/internal/openai"
)

// stepClock bounds each step of a delete by ReadTimeout, as an export's
// waits are bounded (see export), not the delete as a whole: one removes
// the history in batches, each its own transaction, and a large delete may
// rightly run for minutes. The steps are the wait for the recorder's queue
// to land, each batch, and the last transaction (the sessions left empty);
// the clock starts again as each ends. A PostgreSQL server that stopped
// answering mid-delete (a partition, a frozen server: the connection stays
// open, nothing comes back) held the delete's request and a pool
// connection for ever. At the bound the context is cancelled: pgx sets the
// connection's deadline at once (no cancel request is waited for, which a
// frozen server would not answer either) and closes it, so the batch
// under way returns, the server rolls its transaction back, and
// database/sql drops the connection rather than pooling it.
type stepClock struct {
	ctx   context.Context
	stop  context.CancelCauseFunc
	timer *time.Timer // nil: no bound
	bound time.Duration
	// timedOut is the context's cause when the bound ended it.
	timedOut error
}

// deleteClock starts the clock of a delete made under parent (the
// request's context).
func (a *API) deleteClock(parent context.Context) *stepClock {
	ctx, stop := context.WithCancelCause(parent)
	c := &stepClock{ctx: ctx, stop: stop, bound: a.d.ReadTimeout, timedOut: a.readTimedOut()}
	if c.bound > 0 {
		c.timer = time.AfterFunc(c.bound, func() { stop(c.timedOut) })
	}
	return c
}

// next starts the clock again for the next step: the one before it has
// ended. Past the bound already, it changes nothing: the context stays
// cancelled.
func (c *stepClock) next() {
	if c.timer != nil && c.timer.Stop() {
		c.timer.Reset(c.bound)
	}
}

// end stops the clock and releases the context.
func (c *stepClock) end() {
	if c.timer != nil {
		c.timer.Stop()
	}
	c.stop(nil)
}

// explain is err of a step with the bound named when that is what ended
// it (not the client's leaving), for the log.
func (c *stepClock) explain(err error) error {
	if err == nil || context.Cause(c.ctx) != c.timedOut || errors.Is(err, c.timedOut) {
		return err
	}
	return fmt.Errorf("%w: %w", c.timedOut, err)
}

// deleteStopped answers a delete of calls that failed after deleted of
// them were (each batch committed before the next began): 503
// database_error as any failure, nothing deleted; otherwise the message
// says how far it got, and the log says so every time (a delete is an
// operator's act, not a reader's recurring failure) — the rest is still
// recorded, each batch being its own transaction, and the same delete made
// again deletes it.
func (a *API) deleteStopped(w http.ResponseWriter, r *http.Request, deleted int, err error) {
	if deleted == 0 {
		a.storeFailed(w, r, err)
		return
	}
	a.d.Log.Error("history delete stopped part way", "deleted", deleted, "err", err)
	writeError(w, &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeServer, Code: "database_error",
		Message: fmt.Sprintf("the history database stopped answering part way through the delete: %s deleted; try again to delete the rest",
			callsCount(deleted))})
}

// callsCount is "1 call" or "n calls".
func callsCount(n int) string {
	if n == 1 {
		return "1 call"
	}
	return fmt.Sprintf("%d calls", n)
}
