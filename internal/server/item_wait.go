package server

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
)

// awaitRecent is lookup for a new request's item_reference items, waiting
// for an item that another instance on a shared database may have answered
// a moment ago: its recorder commits within RECORDER_LINGER, where this
// instance's queue is written before a lookup (clientItem), so that alone
// on its database it has nothing to wait for. Until 2026-12-07 such an
// item was OpenAI's 400 "not found", which SDKs do not retry, though the
// same request a second later was answered.
//
//   - An id the proxy made (madeItemDigits) whose response began less than
//     a call's time ago (mayBeRecordedYet) and has no record yet, nor a
//     conversation item of that id: waited for, as a branch's
//     previous_response_id is (branchChain), up to branchRecordWait, then a
//     503 database_unavailable, which clients retry. One with a record (not
//     served, or without that item), or begun longer ago, is the 400 at once.
//   - Any other id (one a client gave its item, which carries no time):
//     looked for again for as long as another instance's recorder takes to
//     commit (clientItemWait), then the 400: it may be no one's, and a 503
//     would be retried for ever.
//
// The waits of a request's references share one bound. forget drops what
// lookup read of a response (by its hex digits) so that it is read again.
func (s *Server) awaitRecent(ctx context.Context, lookup responses.ItemLookup, forget func(digits string)) responses.ItemLookup {
	var began time.Time // the first wait's start: the bound is the request's
	return func(id string) (*responses.Item, *openai.Error) {
		waited := false // for a made id's record, which may come between a lookup and its check
		for {
			it, apiErr := lookup(id)
			if it != nil || apiErr != nil || !s.cfg.SharedDatabase {
				return it, apiErr // alone on its database, this instance wrote its queue first
			}
			digits, made := madeItemDigits(id)
			fresh := false
			if made {
				var apiErr *openai.Error
				if fresh, apiErr = s.notRecordedYet(ctx, digits); apiErr != nil {
					return nil, apiErr
				}
			}
			if !fresh && made && waited {
				waited = false
				forget(digits)
				continue // its record came: looked for once more
			}
			if !fresh && made {
				return nil, nil
			}
			if began.IsZero() {
				began = time.Now()
			}
			wait := branchRecordWait
			if !fresh {
				wait = s.clientItemWait()
			}
			if time.Since(began) >= wait {
				if fresh {
					return nil, itemNotRecordedYet(id)
				}
				return nil, nil
			}
			if made {
				waited = true
				forget(digits)
			}
			select {
			case <-ctx.Done():
				return nil, &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeUnavailable, Code: "database_unavailable",
					Message: "the item an item_reference names could not be looked for: the request ended"}
			case <-time.After(branchRecordPoll):
			}
		}
	}
}

// madeItemDigits are the 32 hex digits of the response (or conversation
// item) whose id an item id the proxy made carries (responses.ID,
// responses.InputID: prefix, underscore, the digits, an index); false for
// an id of another form.
func madeItemDigits(id string) (string, bool) {
	_, rest, ok := strings.Cut(id, "_")
	if !ok || len(rest) <= 32 {
		return "", false
	}
	if _, err := hex.DecodeString(rest[:32]); err != nil {
		return "", false
	}
	return rest[:32], true
}

// notRecordedYet reports whether the call whose id is digits may still be
// on its way to the database (a call's UUIDv7, begun less than a call's
// time ago) and is not there: no record of it (any key's), nor a
// conversation item of that id. A database that cannot say is a 503.
func (s *Server) notRecordedYet(ctx context.Context, digits string) (bool, *openai.Error) {
	requestID := digits[:8] + "-" + digits[8:12] + "-" + digits[12:16] + "-" + digits[16:20] + "-" + digits[20:]
	if u, err := uuid.Parse(requestID); err != nil || u.Version() != 7 || !s.mayBeRecordedYet(requestID) {
		// Not a call's id (they are UUIDv7s, which carry when they
		// began), or one begun longer ago than a call runs.
		return false, nil
	}
	_, err := s.recordedCall(ctx, requestID)
	switch {
	case err == nil:
		return false, nil
	case !errors.Is(err, qp.ErrNotFound):
		return false, s.itemsUnavailable(err)
	}
	if s.deps.Conversations == nil {
		return true, nil
	}
	// Any key's: another key's item is the 400 at once, as its response is.
	_, _, _, err = s.deps.Conversations.ConversationItem(ctx, requestID)
	switch {
	case errors.Is(err, qp.ErrNotFound):
		return true, nil
	case err != nil:
		s.log.Error("read the conversation item an item_reference names", "err", err)
		return false, conversationUnavailable("read")
	}
	return false, nil
}

// clientItemWait bounds the wait for an id a client gave its item
// (awaitRecent): another instance commits its records within
// RECORDER_LINGER (the same setting as this one's), and a second more for
// its write; branchRecordWait at most.
func (s *Server) clientItemWait() time.Duration {
	return min(s.cfg.RecorderLinger+time.Second, branchRecordWait)
}

// itemNotRecordedYet is the 503 of an item_reference to an item of a
// response answered a moment ago whose record is not in the database in
// time (awaitRecent): clients retry it.
func itemNotRecordedYet(id string) *openai.Error {
	return &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeUnavailable, Code: "database_unavailable",
		Message: "Item with id '" + clip(id) + "' is not in the database yet: the response it is of was answered a moment ago, perhaps by another instance, which has not written its record yet. Retry."}
}
