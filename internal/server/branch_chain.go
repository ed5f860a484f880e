package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
)

// branchChain is the chain of the response previous that a turn branching
// off from it reads (session.Request.Continues: previous is an earlier
// answer of its session), newest first, as responseChain reads it — read
// once: the branch's check and the conversation its new chat is told
// (earlierTurns) both come from it. The new chat is told the conversation
// rebuilt from the stored responses of the chain, which a response of it
// not stored (store:false, or recorded without its bodies) or deleted
// cannot give. Such a response — previous itself, or one before it down to
// the chain's start or a compaction that starts it — is a 400 naming it,
// not a new chat told the chain from after it only (until 2026-12-06 the
// chain was rebuilt from the responses after it, the conversation before
// them lost unseen); a database that cannot say is a 503. A response
// another instance answered a moment ago may not be in the database yet
// (its recorder lingers before it commits, where this one's is written
// first): it is waited for, up to branchRecordWait. (Until 2026-12-06 the
// check read the chain, and the new chat's conversation read it again.)
func (s *Server) branchChain(ctx context.Context, previous string) ([]chainLink, error) {
	deadline := time.Now().Add(branchRecordWait)
	return walkChain(previous, func(id string) (*qp.RequestRecord, error) {
		return s.chainRecord(ctx, previous, id, deadline)
	})
}

// chainRecord is the record of id, a response of the chain of previous (a
// branch's previous_response_id, or id itself), if it is served: else the
// 400 naming why it cannot be read back (branchChain).
func (s *Server) chainRecord(ctx context.Context, previous, id string, deadline time.Time) (*qp.RequestRecord, error) {
	requestID, _, ok := parseResponseID(id)
	if !ok {
		return nil, previousNotFound(id) // a stored request's id was checked when it was answered
	}
	unreadable := func(why string) error {
		return fmt.Errorf("%w: the response previous_response_id %s names %s", qp.ErrStoreUnavailable, clip(previous), why)
	}
	if id != previous {
		unreadable = func(why string) error {
			return fmt.Errorf("%w: the response %s of the chain of previous_response_id %s %s", qp.ErrStoreUnavailable, clip(id), clip(previous), why)
		}
	}
	refused := func(why string) error {
		msg := "Previous response with id '" + clip(previous) + "' " + why + ", and its session has answered since: the conversation it stands for cannot be told again to a new chat."
		if id != previous {
			msg = "Response '" + clip(id) + "', earlier in the chain of previous response '" + clip(previous) + "', " + why +
				", and the session of '" + clip(previous) + "' has answered since: the conversation it stands for cannot be told again whole to a new chat."
		}
		return &openai.Error{Status: http.StatusBadRequest, Type: openai.TypeInvalidRequest, Param: "previous_response_id", Code: "previous_response_not_stored",
			Message: msg + " Continue from the session's latest response or the one before it, or send the conversation as input."}
	}
	for {
		rec, err := s.recordedCall(ctx, requestID)
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err == nil:
			served, apiErr := s.served(ctx, rec, true)
			switch {
			case apiErr != nil:
				return nil, unreadable("could not be read: " + apiErr.Message)
			case !served:
				why, apiErr := s.whyNotServed(ctx, rec)
				if apiErr != nil {
					return nil, unreadable("could not be read: " + apiErr.Message)
				}
				return nil, refused(why)
			}
			return rec, nil
		case !errors.Is(err, qp.ErrNotFound):
			s.log.Error("read the response a branch goes on from", "err", err)
			return nil, unreadable("could not be read: " + err.Error())
		case id != previous:
			// Recorded before the response after it, whose record was
			// found: it is no longer kept.
			return nil, refused("is no longer recorded")
		case !s.mayBeRecordedYet(requestID):
			// Begun longer ago than a call runs and its record waits:
			// retention deleted it, or no call ever answered it. Waited
			// for, it was a 503 that the SDKs retried, waiting again.
			return nil, previousNotFound(previous)
		case !time.Now().Before(deadline):
			return nil, unreadable("is not in the database yet (the instance that answered it may still hold its record)")
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(branchRecordPoll):
		}
	}
}

// mayBeRecordedYet reports whether the call requestID (a UUIDv7, minted
// as the call began) may still be on its way to the database: it began
// less than a whole call's time (QWEN_MAX_DURATION, at least 10 minutes)
// and the recorder's longest linger (a minute) ago, with a minute more for
// clocks. A call's record is written by then; one not there was deleted
// (retention) or never made. An id that carries no time may be anything.
func (s *Server) mayBeRecordedYet(requestID string) bool {
	id, err := uuid.Parse(requestID)
	if err != nil || id.Version() != 7 {
		return true
	}
	sec, nsec := id.Time().UnixTime()
	return time.Since(time.Unix(sec, nsec)) < max(s.cfg.MaxDuration, 10*time.Minute)+2*time.Minute
}

// whyNotServed is why the recorded response rec is not served (served
// said so): deleted, not stored, or recorded without its bodies.
func (s *Server) whyNotServed(ctx context.Context, rec *qp.RequestRecord) (string, *openai.Error) {
	deleted, err := s.deps.ResponseObjects.ResponseObjectDeleted(ctx, rec.RequestID)
	if err != nil {
		return "", s.responseUnreadable(err)
	}
	var req struct {
		Store *bool `json:"store"`
	}
	_ = json.Unmarshal(rec.OpenAIRequest, &req)
	switch {
	case deleted:
		return "was deleted", nil
	case req.Store != nil && !*req.Store:
		return "is not stored (store: false)", nil
	case rec.OpenAIRequest == nil:
		return "is not stored (recorded without its bodies)", nil
	}
	return "is not stored", nil
}

// branchRecordWait bounds how long a branch waits for the record of the
// response it goes on from (branchChain), RECORDER_LINGER's default several
// times over; branchRecordPoll is how often it looks.
var branchRecordWait, branchRecordPoll = 3 * time.Second, 50 * time.Millisecond
