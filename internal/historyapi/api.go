// Package historyapi is the history API: the routes that read, export and
// delete what went through (sessions, requests, recorded responses, stats,
// export), their query parameters and their JSON shapes. The CLI uses the same
// shapes and parameter rules, so both answer alike. Every route here is
// admin-only; the server's route table says so where it declares them.
package historyapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/httpjson"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/quietlog"
)

// SortFields are the whitelisted sort fields of the three lists.
type SortFields struct{ Sessions, Requests, Responses []string }

// Deps are the history API's collaborators.
type Deps struct {
	History qp.HistoryStore
	// Sessions forgets a session's in-memory state before it is deleted.
	Sessions interface{ Forget(id string) }
	// Recorder lands everything queued before a delete, which would
	// otherwise bring the deleted rows back, and before every read, which
	// must hold a call answered a moment ago (see CaughtUp and Recent).
	Recorder Queue
	Sorts    SortFields
	Log      *slog.Logger
	Now      func() time.Time // nil: time.Now
	// Tickets keeps the export tickets waiting for their download.
	Tickets qp.ExportTicketStore
	// KeyValid reports whether the key of an export ticket (its id, ""
	// for none) may still read the history when the ticket is used; nil:
	// always.
	KeyValid func(ctx context.Context, keyID string) bool
	// Conversations reads a Conversations API conversation's entries: its
	// session's transcript shows the items its responses sent (nil: none).
	Conversations ConversationEntries
	// ReadTimeout bounds each read of the history (a list, one session,
	// call or response, statistics: see bound), an export's wait for each
	// next row (see export) and each step of a delete, each batch its own
	// (see stepClock), HISTORY_READ_TIMEOUT; 0: no bound but the client's.
	ReadTimeout time.Duration
}

// API serves the history routes.
type API struct {
	d Deps
	// failures keeps a database that stays away from logging every read
	// refused meanwhile: the dashboard's live view alone reads every two
	// seconds, each of its tabs.
	failures quietlog.Log
}

// New returns the history API.
func New(d Deps) *API {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &API{d: d}
}

func writeError(w http.ResponseWriter, e *openai.Error) { httpjson.Error(w, e) }

// writeJSON answers a read or a delete the database served: a run of
// failures before it has ended.
func (a *API) writeJSON(w http.ResponseWriter, status int, v any) {
	a.failures.Recovered(a.d.Log, "the history database answers again")
	httpjson.JSON(w, status, v)
}

func notFoundError(what string) *openai.Error {
	return &openai.Error{Status: http.StatusNotFound, Type: openai.TypeNotFound, Code: what + "_not_found", Message: what + " not found"}
}

// loaded reports whether r's lookup succeeded; if not, it has answered 404
// (what_not_found) or 503.
func (a *API) loaded(w http.ResponseWriter, r *http.Request, err error, what string) bool {
	switch {
	case errors.Is(err, qp.ErrNotFound):
		writeError(w, notFoundError(what))
		return false
	case err != nil:
		a.storeFailed(w, r, err)
		return false
	}
	return true
}

// CaughtUp writes what rec (the recorder) still queues, so that a read of
// the history holds every call answered before it: a record reaches the
// database within RECORDER_LINGER (500 ms by default) otherwise, and a
// list, stats, a session or an export read at once would lack it. It waits
// at most QueueWait: a database that does not take writes (locked by another
// process, its disk full) keeps the writer retrying for many seconds, and
// the read would wait behind it. Failing, the read gets what the database
// has. The Responses API's reads and a session's earlier tool calls use it
// too.
func CaughtUp(ctx context.Context, rec Queue) error {
	ctx, cancel := context.WithTimeout(ctx, QueueWait)
	defer cancel()
	return rec.Sync(ctx)
}

// Queue is the recorder's queue, as the history's reads need it.
type Queue interface {
	// Sync returns once everything queued before it is written (or placed
	// elsewhere: the spool, memory), or ctx's error.
	Sync(ctx context.Context) error
	// InDatabase is Sync that fails (recorder.ErrNotInDatabase) when
	// records queued before it are held in memory or spooled instead of
	// written: a record looked for by its id may be among them.
	InDatabase(ctx context.Context) error
}

// QueueWait bounds how long a history read waits for the records queued
// before it to be written (see CaughtUp): a commit of a full batch takes
// tens of milliseconds.
const QueueWait = time.Second

// RecentWait bounds how long Recent waits for the records queued before
// it to be written. It is longer than QueueWait: the record asked for by
// its id is one a client was just given (a response it polls or continues
// by previous_response_id), and its absence is an answer — a 404 — where a
// list read at once only lacks a row. A commit took over a second on a
// loaded 2-core machine (CI beside other builds), and such reads were
// 404s for responses answered a moment before. It stays well under the
// tens of seconds a writer retries a database that takes no writes
// (another process holding SQLite's write lock), behind which a read
// would otherwise wait.
const RecentWait = 5 * time.Second

// Recent reads one record by its id; when there is none, the recorder may
// still hold it (a call answered a moment ago reaches the database within
// RECORDER_LINGER, 500 ms by default): what is queued is written, and the
// record read once more. A record found costs no wait. When what is queued
// is not written within RecentWait (or ctx ends first), or the writer could
// only place it elsewhere — the spool, memory: the database refuses writes
// (a full disk, a moved file) —, the record may be among it: the error is
// qp.ErrStoreUnavailable (a 503, which the SDKs retry), not qp.ErrNotFound.
// Until 2026-12-07 a record spooled or held counted as written, and a call
// just answered was a 404 while the database refused it. The Responses
// API's own lookups use it too.
func Recent[T any](ctx context.Context, rec Queue, read func(context.Context) (T, error)) (T, error) {
	v, err := read(ctx)
	if !errors.Is(err, qp.ErrNotFound) {
		return v, err
	}
	if err := InDatabase(ctx, rec, RecentWait); err != nil {
		var zero T
		return zero, err
	}
	return read(ctx)
}

// InDatabase waits at most wait for what rec still queues to be written,
// and is nil when all of it (and all the spool and memory held before it)
// is in the database: a lookup that finds nothing after it may answer "not
// found". Otherwise it is qp.ErrStoreUnavailable, the lookup's 503.
func InDatabase(ctx context.Context, rec Queue, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := rec.InDatabase(ctx); err != nil {
		return fmt.Errorf("%w: the calls answered before this read are not all in the database yet: %w", qp.ErrStoreUnavailable, err)
	}
	return nil
}

// bound is r with ReadTimeout on its context, and the func that ends it: a
// read under way on a PostgreSQL server that stops answering (a network
// partition, a frozen server: the connection stays open, nothing comes
// back) waited for as long as its client did, minutes or for ever, holding
// a pool connection, where the reads begun after it failed within about 20
// s (the ping of the connection each takes is bounded, as new connections
// are). At the deadline pgx sets the connection's deadline at once (its
// default DeadlineContextWatcherHandler: no cancel request is waited for,
// which a frozen server would not answer either) and closes it, so the read
// returns and database/sql drops the connection rather than pooling it.
// A delete is bounded step by step instead (see stepClock): one removes
// the history in batches for as long as that takes.
func (a *API) bound(r *http.Request) (*http.Request, context.CancelFunc) {
	if a.d.ReadTimeout <= 0 {
		return r, func() {}
	}
	ctx, cancel := context.WithTimeoutCause(r.Context(), a.d.ReadTimeout, a.readTimedOut())
	return r.WithContext(ctx), cancel
}

// readTimedOut is the cause of a read's context (see bound), an export's
// (see export) or a delete's (see stepClock) when ReadTimeout passed.
func (a *API) readTimedOut() error {
	return fmt.Errorf("the history database did not answer within %s (HISTORY_READ_TIMEOUT)", a.d.ReadTimeout)
}

// storeFailed answers a database error of r; the details go to the log
// only, once a minute while the failures recur (quietlog), with the read's
// bound when that is what ended it.
func (a *API) storeFailed(w http.ResponseWriter, r *http.Request, err error) {
	if ctx := r.Context(); ctx.Err() == context.DeadlineExceeded && !errors.Is(err, context.Cause(ctx)) {
		err = fmt.Errorf("%w: %w", context.Cause(ctx), err)
	}
	a.failures.Failed(a.d.Log, slog.LevelError, "history query failed", "err", err)
	writeError(w, &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeServer, Code: "database_error",
		Message: "the history database could not answer; try again"})
}

// Query reads a history route's query strictly (see strictQuery), answering
// the 400 itself; routes of the history API declared outside this package
// use it too.
func Query(w http.ResponseWriter, r *http.Request, known []string) (url.Values, bool) {
	return query(w, r, known)
}

// query is strictQuery answering its own 400.
func query(w http.ResponseWriter, r *http.Request, known []string) (url.Values, bool) {
	q, apiErr := strictQuery(r, known)
	if apiErr != nil {
		writeError(w, apiErr)
		return nil, false
	}
	return q, true
}
