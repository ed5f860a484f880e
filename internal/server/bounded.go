package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	qp "qwenproxy"
)

// The reads of the history that the API's own routes make — the Responses
// API's objects (GET /v1/responses/{id}, its input_items, a
// previous_response_id's, an item_reference's), the Conversations API's
// conversations and items, a turn's earlier turns told again to a new chat,
// the names of the tool calls a result answers — are bounded by
// HISTORY_READ_TIMEOUT each, as the history API's are: on a PostgreSQL
// server that stopped answering (a partition, a frozen server: the
// connection stays open, nothing comes back) a read under way waited for as
// long as its client did, minutes or for ever, holding a pool connection.
// At the bound pgx closes the connection and the read fails, and its caller
// answers 503 in its API's format (a turn fails with database_unavailable).
// The stores are wrapped once, in New, so that no read of them on a request
// path goes without it; writes and deletes are not bounded, and the session
// reads a turn makes (by id, by key, under its lock) have the store's own
// bound (10 s).

// readBound is HISTORY_READ_TIMEOUT for one read; 0: none.
type readBound time.Duration

// ctx is ctx bounded for one read, its cause naming the setting.
func (b readBound) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if b <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, time.Duration(b), b.cause())
}

func (b readBound) cause() error { return readTimedOut(b) }

// readTimedOut is the cause of a read's context when its bound passed.
type readTimedOut time.Duration

func (e readTimedOut) Error() string {
	return fmt.Sprintf("the history database did not answer within %s (HISTORY_READ_TIMEOUT)", time.Duration(e))
}

// done is err of a read under ctx (readBound.ctx's): a missing row as it
// is, the caller's own end (the client left, QWEN_MAX_DURATION) as it is,
// anything else the database's failure (qp.ErrStoreUnavailable), naming
// the bound when that is what ended it, so that a turn is answered 503
// database_unavailable and a lookup is never taken for "not found".
func done(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, qp.ErrNotFound) {
		return err
	}
	if ctx.Err() != nil {
		var timedOut readTimedOut
		cause := context.Cause(ctx)
		if !errors.As(cause, &timedOut) {
			return err // the caller's context ended, not the read's bound
		}
		if !errors.Is(err, cause) {
			err = fmt.Errorf("%w: %w", cause, err)
		}
	}
	if !errors.Is(err, qp.ErrStoreUnavailable) {
		err = fmt.Errorf("%w: %w", qp.ErrStoreUnavailable, err)
	}
	return err
}

// boundedHistory bounds the reads of a HistoryStore; its export (bounded
// per wait by the history API) and deletes are the store's.
type boundedHistory struct {
	qp.HistoryStore
	bound readBound
}

func bounded[T any](b readBound, ctx context.Context, read func(context.Context) (T, error)) (T, error) {
	ctx, cancel := b.ctx(ctx)
	defer cancel()
	v, err := read(ctx)
	return v, done(ctx, err)
}

func (h boundedHistory) ListSessions(ctx context.Context, f qp.SessionFilter, o qp.ListOptions) (*qp.ListResult[qp.SessionRecord], error) {
	return bounded(h.bound, ctx, func(ctx context.Context) (*qp.ListResult[qp.SessionRecord], error) {
		return h.HistoryStore.ListSessions(ctx, f, o)
	})
}

func (h boundedHistory) SessionRecord(ctx context.Context, id string) (*qp.SessionRecord, error) {
	return bounded(h.bound, ctx, func(ctx context.Context) (*qp.SessionRecord, error) { return h.HistoryStore.SessionRecord(ctx, id) })
}

func (h boundedHistory) ListRequests(ctx context.Context, f qp.CallFilter, o qp.ListOptions) (*qp.ListResult[qp.RequestRecord], error) {
	return bounded(h.bound, ctx, func(ctx context.Context) (*qp.ListResult[qp.RequestRecord], error) {
		return h.HistoryStore.ListRequests(ctx, f, o)
	})
}

func (h boundedHistory) Request(ctx context.Context, key string) (*qp.RequestRecord, error) {
	return bounded(h.bound, ctx, func(ctx context.Context) (*qp.RequestRecord, error) { return h.HistoryStore.Request(ctx, key) })
}

func (h boundedHistory) ListResponses(ctx context.Context, f qp.CallFilter, o qp.ListOptions) (*qp.ListResult[qp.ResponseRecord], error) {
	return bounded(h.bound, ctx, func(ctx context.Context) (*qp.ListResult[qp.ResponseRecord], error) {
		return h.HistoryStore.ListResponses(ctx, f, o)
	})
}

func (h boundedHistory) Response(ctx context.Context, key string) (*qp.ResponseRecord, error) {
	return bounded(h.bound, ctx, func(ctx context.Context) (*qp.ResponseRecord, error) { return h.HistoryStore.Response(ctx, key) })
}

func (h boundedHistory) Stats(ctx context.Context, q qp.StatsQuery) (*qp.Stats, error) {
	return bounded(h.bound, ctx, func(ctx context.Context) (*qp.Stats, error) { return h.HistoryStore.Stats(ctx, q) })
}

// boundedConversations bounds the reads of a ConversationStore; its writes
// and its lock are the store's.
type boundedConversations struct {
	qp.ConversationStore
	bound readBound
}

func (c boundedConversations) Conversation(ctx context.Context, id string) (*qp.ConversationObject, error) {
	return bounded(c.bound, ctx, func(ctx context.Context) (*qp.ConversationObject, error) {
		return c.ConversationStore.Conversation(ctx, id)
	})
}

func (c boundedConversations) ConversationEntries(ctx context.Context, id string) ([]qp.ConversationEntry, error) {
	return bounded(c.bound, ctx, func(ctx context.Context) ([]qp.ConversationEntry, error) {
		return c.ConversationStore.ConversationEntries(ctx, id)
	})
}

func (c boundedConversations) ConversationItem(ctx context.Context, entryID string) (conversationID, keyID string, e qp.ConversationEntry, err error) {
	ctx, cancel := c.bound.ctx(ctx)
	defer cancel()
	conversationID, keyID, e, err = c.ConversationStore.ConversationItem(ctx, entryID)
	return conversationID, keyID, e, done(ctx, err)
}

// boundedResponseObjects bounds the reads of a ResponseObjectStore.
type boundedResponseObjects struct {
	qp.ResponseObjectStore
	bound readBound
}

func (o boundedResponseObjects) ResponseObjectDeleted(ctx context.Context, requestID string) (bool, error) {
	return bounded(o.bound, ctx, func(ctx context.Context) (bool, error) {
		return o.ResponseObjectStore.ResponseObjectDeleted(ctx, requestID)
	})
}

func (o boundedResponseObjects) CallWithItem(ctx context.Context, keyID, itemID string) (string, error) {
	return bounded(o.bound, ctx, func(ctx context.Context) (string, error) {
		return o.ResponseObjectStore.CallWithItem(ctx, keyID, itemID)
	})
}

// boundReads wraps deps' stores so that their reads are bounded (see
// above); nil stays nil.
func boundReads(deps Deps, timeout time.Duration) Deps {
	b := readBound(timeout)
	if deps.History != nil {
		deps.History = boundedHistory{deps.History, b}
	}
	if deps.Conversations != nil {
		deps.Conversations = boundedConversations{deps.Conversations, b}
	}
	if deps.ResponseObjects != nil {
		deps.ResponseObjects = boundedResponseObjects{deps.ResponseObjects, b}
	}
	return deps
}
