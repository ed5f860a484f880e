package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	qp "qwenproxy"
)

// Every call the API's own routes make to the database on a request's path
// is bounded by HISTORY_READ_TIMEOUT, each call, as the history API's reads
// are: the reads of the history — the Responses API's objects (GET
// /v1/responses/{id}, its input_items, a previous_response_id's, an
// item_reference's), the Conversations API's conversations and items, a
// turn's earlier turns told again to a new chat, the names of the tool calls
// a result answers — and the writes: a response object's delete, a
// conversation's making, update and delete, its items' adding and deleting,
// a turn's adding of its response to its conversation, and the taking and
// letting go of a conversation's lock. On a PostgreSQL server that stopped
// answering (a partition, a frozen server: the connection stays open,
// nothing comes back) such a call waited for as long as its client did,
// minutes or for ever, holding a pool connection; on SQLite a write waited
// DATABASE_BUSY_TIMEOUT for a file another process holds. At the bound pgx
// closes the connection (the server rolls back what the call's transaction
// had done) and the call fails, and its caller answers 503 in its API's
// format (a turn fails with database_unavailable). The stores are wrapped
// once, in New, so that no call of them on a request path goes without it.
// Not bounded here: the recorder's writes (queued, spooled and retried,
// never on a request's path), the history API's (bounded there: reads,
// export tickets, and its deletes batch by batch, as a delete may rightly
// run long), and the session reads
// and lock a turn makes (by id, by key, under its lock), which have the
// store's own bound (10 s).

// readBound is HISTORY_READ_TIMEOUT for one call of a store (a read, a
// write); 0: none.
type readBound time.Duration

// ctx is ctx bounded for one call, its cause naming the setting.
func (b readBound) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if b <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, time.Duration(b), b.cause())
}

func (b readBound) cause() error { return readTimedOut(b) }

// readTimedOut is the cause of a call's context when its bound passed.
type readTimedOut time.Duration

func (e readTimedOut) Error() string {
	return fmt.Sprintf("the history database did not answer within %s (HISTORY_READ_TIMEOUT)", time.Duration(e))
}

// done is err of a call under ctx (readBound.ctx's): a missing row and a
// conversation another call holds as they are, the caller's own end (the
// client left, QWEN_MAX_DURATION) as it is, anything else the database's
// failure (qp.ErrStoreUnavailable), naming the bound when that is what
// ended it, so that a turn is answered 503 database_unavailable and a
// lookup is never taken for "not found".
func done(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, qp.ErrNotFound) || errors.Is(err, qp.ErrConversationLocked) {
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
// per wait by the history API) and deletes (per batch, there too) are the
// store's.
type boundedHistory struct {
	qp.HistoryStore
	bound readBound
}

// bounded is read under b.
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

// boundedWrite is write under b.
func boundedWrite(b readBound, ctx context.Context, write func(context.Context) error) error {
	_, err := bounded(b, ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, write(ctx) })
	return err
}

// boundedConversations bounds every call of a ConversationStore: its reads,
// its writes, and its lock's taking and letting go.
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

func (c boundedConversations) ConversationItemWithID(ctx context.Context, keyID, itemID string) (conversationID string, e qp.ConversationEntry, err error) {
	ctx, cancel := c.bound.ctx(ctx)
	defer cancel()
	conversationID, e, err = c.ConversationStore.ConversationItemWithID(ctx, keyID, itemID)
	return conversationID, e, done(ctx, err)
}

func (c boundedConversations) CreateConversation(ctx context.Context, conv qp.ConversationObject, items []qp.ConversationEntry) error {
	return boundedWrite(c.bound, ctx, func(ctx context.Context) error { return c.ConversationStore.CreateConversation(ctx, conv, items) })
}

func (c boundedConversations) UpdateConversationMetadata(ctx context.Context, id string, metadata map[string]string) error {
	return boundedWrite(c.bound, ctx, func(ctx context.Context) error {
		return c.ConversationStore.UpdateConversationMetadata(ctx, id, metadata)
	})
}

func (c boundedConversations) DeleteConversation(ctx context.Context, id string) error {
	return boundedWrite(c.bound, ctx, func(ctx context.Context) error { return c.ConversationStore.DeleteConversation(ctx, id) })
}

func (c boundedConversations) AddConversationEntries(ctx context.Context, id string, entries []qp.ConversationEntry) error {
	return boundedWrite(c.bound, ctx, func(ctx context.Context) error {
		return c.ConversationStore.AddConversationEntries(ctx, id, entries)
	})
}

func (c boundedConversations) DeleteConversationEntry(ctx context.Context, id, entryID string) error {
	return boundedWrite(c.bound, ctx, func(ctx context.Context) error {
		return c.ConversationStore.DeleteConversationEntry(ctx, id, entryID)
	})
}

func (c boundedConversations) LockConversation(ctx context.Context, id, token string, now, until time.Time) error {
	return boundedWrite(c.bound, ctx, func(ctx context.Context) error {
		return c.ConversationStore.LockConversation(ctx, id, token, now, until)
	})
}

func (c boundedConversations) UnlockConversation(ctx context.Context, id, token string) error {
	return boundedWrite(c.bound, ctx, func(ctx context.Context) error { return c.ConversationStore.UnlockConversation(ctx, id, token) })
}

// boundedResponseObjects bounds the calls of a ResponseObjectStore.
type boundedResponseObjects struct {
	qp.ResponseObjectStore
	bound readBound
}

func (o boundedResponseObjects) DeleteResponseObject(ctx context.Context, requestID string, at time.Time) error {
	return boundedWrite(o.bound, ctx, func(ctx context.Context) error {
		return o.ResponseObjectStore.DeleteResponseObject(ctx, requestID, at)
	})
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

// boundReads wraps deps' stores so that their calls are bounded (see
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
