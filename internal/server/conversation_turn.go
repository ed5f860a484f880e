package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
)

// answerInConversation answers POST /v1/responses with a conversation. The
// conversation is held for the call (a second response at once is OpenAI's
// 400 conversation_locked: two turns would fork its chat). The turn goes
// on in the conversation's session (named by its id: one Qwen chat for
// the whole conversation, continued as previous_response_id continues
// one), sending the items added since its last response before the
// request's input; a chat Qwen no longer knows is told the conversation
// again. Once answered, the response is added to the conversation, before
// the client is sent its end; a failed one is not, nor one the database
// does not take, which fails (see turnSpec.settle).
func (s *Server) answerInConversation(w http.ResponseWriter, r *http.Request, req *responsesRequest, d decodedCall) {
	ctx := r.Context()
	id, _ := responses.ConversationID(req.ConversationParam) // checked
	conv, apiErr := s.conversation(ctx, id, "conversation")
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	if !req.Stored() {
		writeErrorFor(w, r, openai.InvalidRequest("store", "invalid_value",
			"store false is not supported with a conversation: the conversation lists its responses' items, read from the stored responses; leave store out or set it true"))
		return
	}
	if record, _ := recordBodiesHeader(r); !record || !s.cfg.RecordBodies { // checked
		writeErrorFor(w, r, openai.InvalidRequest("conversation", "invalid_value",
			"a response in a conversation needs its bodies recorded: the conversation lists its items, and tells them to a new chat, from the record; this one would be recorded without them (X-Record-Bodies: false, or RECORD_BODIES=false)"))
		return
	}
	if d.sessionID != "" && d.sessionID != conv.ID {
		writeErrorFor(w, r, openai.InvalidRequest("conversation", "session_conflict",
			"the conversation '%s' is its own session: send X-Session-Id with it only as its id, or not at all", conv.ID))
		return
	}
	held, apiErr := s.lockConversation(ctx, conv)
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	defer held.unlock()
	entries, err := s.deps.Conversations.ConversationEntries(ctx, conv.ID)
	if err != nil {
		s.log.Error("read conversation entries", "err", err)
		held.unlockAfter(err)
		writeErrorFor(w, r, conversationUnavailable("read"))
		return
	}
	last := lastResponseEntry(entries)
	turnReq := req.Request
	// After the conversation's answers: a system or developer message of
	// its items or input is told with the turn (responses.Conversation).
	turnReq.Answered = last >= 0
	if pending := entries[last+1:]; len(pending) > 0 {
		items := make([]json.RawMessage, 0, len(pending)+1)
		for _, e := range pending {
			items = append(items, e.Item)
		}
		items = append(items, inputItemsOf(req.Input)...)
		turnReq.Input, _ = json.Marshal(items) // JSON already
		turnReq.Gathered = true
		if apiErr := turnReq.ValidateWith(s.newItems(ctx, &turnReq)); apiErr != nil {
			apiErr.Message = "the conversation's items added since its last response, then input: " + apiErr.Message
			writeErrorFor(w, r, apiErr)
			return
		}
	}
	t, apiErr := s.responsesTurn(ctx, &turnReq, d.body, conv.ID)
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	told := entries[:last+1]
	t.earlier = func(ctx context.Context) ([]qp.Message, error) { return s.conversationEarlier(ctx, conv.ID, told) }
	t.conversation = conv.ID
	f := t.format.(responsesFormat)
	f.shell.Conversation = &responses.ConversationRef{ID: conv.ID}
	t.format = f
	t.settle = func(c *call) (err error) {
		// Before the client is sent the end: its next call may follow at
		// once (and, answered or failed, find the conversation let go).
		defer func() { held.unlockAfter(err) }()
		rq := &c.ex.Request
		entry := qp.ConversationEntry{ID: rq.RequestID, CreatedAt: s.now(), ResponseID: responseID(rq.RequestID, rq.SessionID)}
		// Bounded (HISTORY_READ_TIMEOUT), not by the client: it is left
		// only once the answer is kept or refused, all of it (one
		// transaction).
		err = s.deps.Conversations.AddConversationEntries(context.WithoutCancel(ctx), conv.ID, []qp.ConversationEntry{entry})
		switch {
		case errors.Is(err, qp.ErrNotFound):
			// Deleted while it answered: there is nothing to add it to.
			return nil
		case err != nil:
			// The answer is not the conversation's: the client is told so
			// (503 database_unavailable, or response.failed) rather than
			// given a completed response its conversation does not list,
			// and the items it sent stay waiting for the next response.
			return fmt.Errorf("%w: the response could not be added to its conversation %s: %w", qp.ErrStoreUnavailable, conv.ID, err)
		}
		return nil
	}
	c := s.newCall(w, r, d.body)
	c.ex.Request.IgnoredParams = d.ignored
	c.referenced = req.referenced
	s.answer(c, &t)
}

// conversationSession reports whether the session is a conversation's (its
// id is the conversation's): only those named conv_… are looked up. A
// database that cannot say (or does not answer within
// HISTORY_READ_TIMEOUT) is a 503, not a session of no conversation.
func (s *Server) conversationSession(ctx context.Context, sessionID string) (bool, *openai.Error) {
	if !isConversationID(sessionID) {
		return false, nil
	}
	_, err := s.deps.Conversations.Conversation(ctx, sessionID)
	switch {
	case errors.Is(err, qp.ErrNotFound):
		return false, nil
	case err != nil:
		s.log.Error("read conversation", "err", err)
		return false, conversationUnavailable("read")
	}
	return true, nil
}

// conversationOwner reports whether id, which names no session, is a
// conversation's and, when it is, the id of its key: the conversation's id
// is its session's, which its first response opens, and another key
// naming it in X-Session-Id before then gets a session of its own
// (session.Request.TakenBy), rather than the conversation's (until
// 2026-12-07 it took it: its calls were the conversation's session's, and
// the conversation's responses went on in another). Only ids named conv_…
// are looked up.
func (s *Server) conversationOwner(ctx context.Context, id string) (taken bool, owner string, err error) {
	if !isConversationID(id) || s.deps.Conversations == nil { // a server without the Conversations API has none
		return false, "", nil
	}
	c, err := s.deps.Conversations.Conversation(ctx, id)
	switch {
	case errors.Is(err, qp.ErrNotFound):
		return false, "", nil
	case err != nil:
		return false, "", fmt.Errorf("reading conversation %s: %w", id, err)
	}
	return true, c.APIKeyID, nil
}

// inConversation reports whether req is a response answered in a
// conversation (which names its own session).
func inConversation(req validator) bool {
	c, ok := req.(interface{ InConversation() bool })
	return ok && c.InConversation()
}

// conversationSessionNamed refuses an X-Session-Id naming a conversation of
// the caller's outside that conversation: the call would go on in the
// conversation's Qwen chat, whose next response would then see a turn the
// conversation's listing has not. Another key's conversation is not
// refused (nor revealed): its call gets a session of its own.
func (s *Server) conversationSessionNamed(ctx context.Context, sessionID string) *openai.Error {
	if !isConversationID(sessionID) {
		return nil
	}
	if _, apiErr := s.conversation(ctx, sessionID, "X-Session-Id"); apiErr != nil {
		if apiErr.Status == http.StatusNotFound {
			return nil // none, or another key's
		}
		return apiErr // the database's failure: not taken for none
	}
	return openai.InvalidRequest("X-Session-Id", "session_conflict",
		"X-Session-Id names the conversation '%s', whose Qwen chat goes on only with its responses: answer in it with POST /v1/responses and conversation, or name another session", sessionID)
}

// conversationEarlier is what a new chat of the conversation is told: the
// items of its entries that Qwen was sent (those before and of its last
// response), as the core's messages; a database that fails to read one of
// its responses (or does not answer within HISTORY_READ_TIMEOUT) is an
// error (qp.ErrStoreUnavailable), not a response left untold.
func (s *Server) conversationEarlier(ctx context.Context, id string, entries []qp.ConversationEntry) ([]qp.Message, error) {
	var items []json.RawMessage
	for _, e := range entries {
		if e.ResponseID == "" {
			items = append(items, e.Item)
			continue
		}
		rec, req, apiErr := s.conversationResponse(ctx, e)
		if apiErr != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err() // the call's own end (the client left), not the database's
			}
			return nil, fmt.Errorf("%w: the conversation %s could not be read to tell it again: %s", qp.ErrStoreUnavailable, id, apiErr.Message)
		}
		if rec != nil {
			items = append(items, turnItems(req, rec)...)
		}
	}
	return s.toldAgain(ctx, items, "conversation", id)
}
