package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/auth"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
)

// The Conversations API (client.conversations.*): a conversation is a list
// of items that responses answered in it (POST /v1/responses with its
// conversation) continue, each in the conversation's one Qwen chat. Items
// added directly are kept as sent; a response's items are its recorded
// call's (input_items and output), so nothing is stored twice. A
// conversation belongs to the key that made it: another key's is not found.

// maxConversationItems bounds the items one call adds, as OpenAI does.
const maxConversationItems = 20

// conversationFields are the fields POST /v1/conversations and POST
// /v1/conversations/{id} take (the latter only metadata).
var conversationFields = []openai.Field{
	{Name: "items", Policy: openai.Honoured, Check: openai.CheckArray},
	{Name: "metadata", Policy: openai.Honoured, Check: openai.CheckMetadata},
}

// conversationObject is a conversation as the API answers it.
func conversationObject(c *qp.ConversationObject) map[string]any {
	meta := c.Metadata
	if meta == nil {
		meta = map[string]string{}
	}
	return map[string]any{"id": c.ID, "object": "conversation", "created_at": c.CreatedAt.Unix(), "metadata": meta}
}

// newConversationID names a new conversation: conv_ and 32 hex digits.
func newConversationID() string {
	return "conv_" + strings.ReplaceAll(qp.NewID(), "-", "")
}

// conversationBody reads a Conversations API body (an absent one is {}),
// checked against conversationFields, into dst, and into kept the body as
// a call's record keeps it (recordedForm): what is stored of its items and
// metadata, a value hidden in one of them masked in the others too.
func (s *Server) conversationBody(w http.ResponseWriter, r *http.Request, dst, kept any) *openai.Error {
	body, apiErr := s.readJSON(w, r)
	if apiErr != nil {
		return apiErr
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}") // the SDK's create() sends no body
	}
	if _, apiErr := openai.CheckFields(body, conversationFields); apiErr != nil {
		return apiErr
	}
	if apiErr := openai.Decode(body, dst); apiErr != nil {
		return apiErr
	}
	keptBody, _ := s.recordedForm(r.Context(), body, s.deps.Accounts.Known())
	return openai.Decode(keptBody, kept)
}

// createConversation serves POST /v1/conversations: a conversation with its
// first items (at most 20) and metadata.
func (s *Server) createConversation(w http.ResponseWriter, r *http.Request) {
	var req, kept struct {
		Items    json.RawMessage   `json:"items"`
		Metadata map[string]string `json:"metadata"`
	}
	if apiErr := s.conversationBody(w, r, &req, &kept); apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	now := s.now()
	var entries []qp.ConversationEntry
	if !openai.IsNull(req.Items) {
		var apiErr *openai.Error
		if entries, apiErr = s.newItemEntries(r.Context(), "", req.Items, kept.Items, false, now); apiErr != nil {
			writeErrorFor(w, r, apiErr)
			return
		}
	}
	c := qp.ConversationObject{ID: newConversationID(), APIKeyID: auth.FromContext(r.Context()).KeyID, CreatedAt: now, Metadata: kept.Metadata}
	if err := s.deps.Conversations.CreateConversation(r.Context(), c, entries); err != nil {
		s.log.Error("create conversation", "err", err)
		writeErrorFor(w, r, conversationUnavailable("created"))
		return
	}
	writeJSON(w, http.StatusOK, conversationObject(&c))
}

// getConversation serves GET /v1/conversations/{id}.
func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) {
	c, apiErr := s.conversation(r.Context(), r.PathValue("id"), "conversation_id")
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	writeJSON(w, http.StatusOK, conversationObject(c))
}

// updateConversation serves POST /v1/conversations/{id}: its metadata
// replaced (null clears it).
func (s *Server) updateConversation(w http.ResponseWriter, r *http.Request) {
	var req, kept struct {
		Items    json.RawMessage `json:"items"`
		Metadata json.RawMessage `json:"metadata"`
	}
	if apiErr := s.conversationBody(w, r, &req, &kept); apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	if req.Items != nil {
		writeErrorFor(w, r, openai.InvalidRequest("items", "unknown_parameter", "items are added with POST /v1/conversations/{id}/items, not by an update"))
		return
	}
	if req.Metadata == nil {
		writeErrorFor(w, r, openai.InvalidRequest("metadata", "missing_required_parameter", "metadata is required (null clears it)"))
		return
	}
	var meta map[string]string
	_ = json.Unmarshal(kept.Metadata, &meta) // checked: an object of strings, or null; kept as the record keeps it
	c, apiErr := s.conversation(r.Context(), r.PathValue("id"), "conversation_id")
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	if err := s.deps.Conversations.UpdateConversationMetadata(r.Context(), c.ID, meta); err != nil {
		if errors.Is(err, qp.ErrNotFound) { // deleted meanwhile
			writeErrorFor(w, r, conversationNotFound(c.ID, "conversation_id"))
			return
		}
		s.log.Error("update conversation", "err", err)
		writeErrorFor(w, r, conversationUnavailable("updated"))
		return
	}
	c.Metadata = meta
	writeJSON(w, http.StatusOK, conversationObject(c))
}

// deleteConversation serves DELETE /v1/conversations/{id}: the conversation
// and its items are gone; its responses' calls stay in the history, and
// their response objects stay served.
func (s *Server) deleteConversation(w http.ResponseWriter, r *http.Request) {
	c, apiErr := s.conversation(r.Context(), r.PathValue("id"), "conversation_id")
	if apiErr != nil {
		writeErrorFor(w, r, apiErr)
		return
	}
	if err := s.deps.Conversations.DeleteConversation(r.Context(), c.ID); err != nil && !errors.Is(err, qp.ErrNotFound) {
		s.log.Error("delete conversation", "err", err)
		writeErrorFor(w, r, conversationUnavailable("deleted"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": c.ID, "object": "conversation.deleted", "deleted": true})
}

// conversation finds the caller's conversation id; param names where the
// request gave it.
func (s *Server) conversation(ctx context.Context, id, param string) (*qp.ConversationObject, *openai.Error) {
	if !strings.HasPrefix(id, "conv_") {
		return nil, conversationNotFound(id, param)
	}
	c, err := s.deps.Conversations.Conversation(ctx, id)
	if errors.Is(err, qp.ErrNotFound) {
		return nil, conversationNotFound(id, param)
	}
	if err != nil {
		s.log.Error("read conversation", "err", err)
		return nil, conversationUnavailable("read")
	}
	if c.APIKeyID != auth.FromContext(ctx).KeyID {
		return nil, conversationNotFound(id, param)
	}
	return c, nil
}

// conversationNotFound is the 404 for a conversation the caller has not.
func conversationNotFound(id, param string) *openai.Error {
	return &openai.Error{Status: http.StatusNotFound, Type: openai.TypeInvalidRequest, Param: param, Code: "not_found",
		Message: fmt.Sprintf("Conversation with id '%s' not found.", clip(id))}
}

// conversationIDNotFound is conversationNotFound on a route naming the
// conversation in its path.
func conversationIDNotFound(id string) *openai.Error {
	return conversationNotFound(id, "conversation_id")
}

// conversationUnavailable is the 503 for a database that failed a
// conversation's read or write.
func conversationUnavailable(what string) *openai.Error {
	return &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeUnavailable, Code: "database_unavailable",
		Message: "the conversation could not be " + what + ": the database is unavailable"}
}

// conversationLocked is OpenAI's 400 for a conversation another call is
// answering or adding to.
func conversationLocked() *openai.Error {
	return openai.InvalidRequest("conversation", "conversation_locked", "Another process is currently operating on this conversation. Please retry in a few seconds.")
}

// conversationLease bounds how long one call holds a conversation: a whole
// call's time (QWEN_MAX_DURATION) and a margin, so that a process that
// died holding it does not hold it for ever.
func (s *Server) conversationLease() time.Duration {
	return max(s.cfg.MaxDuration, 10*time.Minute) + time.Minute
}

// lockGrace is how long a call waits for a conversation another call holds
// before it is refused: a call that has just answered lets go of it after
// its client has its answer (a failure's, or a client that left), and a
// client's next call may come first.
const lockGrace = 2 * time.Second

// lockPoll is how often a waiting call tries the lock again.
const lockPoll = 50 * time.Millisecond

// lockConversation holds c for one call, until the returned lock's unlock
// (or unlockAfter). Its taking is bounded as every call of the store is
// (HISTORY_READ_TIMEOUT): one that fails may still have taken it (the
// statement ran, its answer was lost), so it is let go in the background.
func (s *Server) lockConversation(ctx context.Context, c *qp.ConversationObject) (*heldConversation, *openai.Error) {
	token := qp.NewID()
	var err error
	var until time.Time
	for waited := time.Duration(0); ; waited += lockPoll {
		now := s.now()
		until = now.Add(s.conversationLease())
		err = s.deps.Conversations.LockConversation(ctx, c.ID, token, now, until)
		if !errors.Is(err, qp.ErrConversationLocked) || waited >= lockGrace {
			break
		}
		t := time.NewTimer(lockPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, conversationLocked()
		case <-t.C:
		}
	}
	switch {
	case errors.Is(err, qp.ErrConversationLocked):
		return nil, conversationLocked()
	case errors.Is(err, qp.ErrNotFound):
		return nil, conversationNotFound(c.ID, "conversation")
	case err != nil:
		s.log.Error("lock conversation", "err", err)
		s.releases.later(s, c.ID, token, until, 0, err)
		return nil, conversationUnavailable("held")
	}
	return &heldConversation{s: s, id: c.ID, token: token, until: until}, nil
}

// heldConversation is a conversation's lock one call holds.
type heldConversation struct {
	s         *Server
	id, token string
	until     time.Time // its lease's end
	once      sync.Once
}

// unlockWait bounds how long a call waits for its conversation's lock to be
// let go (HISTORY_READ_TIMEOUT, when shorter): it is let go in the
// background past it, and the client is not held for the database a second
// time (its next call waits lockGrace for it).
const unlockWait = time.Second

// unlock lets go of the conversation (once: again is nothing), also when
// the client left: the lock must not outlive the call. It waits for the
// database at most unlockWait, so that the client's next call finds the
// conversation free; past it, or should the database fail it, the lock is
// let go in the background once the database answers (at the latest its
// lease runs out).
func (h *heldConversation) unlock() { h.unlockAfter(nil) }

// unlockAfter is unlock once err ended the call's use of the conversation:
// after the database's failure (qp.ErrStoreUnavailable) the client is not
// made to wait for it again, and the lock is let go in the background.
func (h *heldConversation) unlockAfter(err error) {
	h.once.Do(func() {
		if errors.Is(err, qp.ErrStoreUnavailable) {
			h.s.releases.later(h.s, h.id, h.token, h.until, 0, err)
			return
		}
		wait := unlockWait
		if b := h.s.cfg.HistoryReadTimeout; b > 0 && b < wait {
			wait = b
		}
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := h.s.deps.Conversations.UnlockConversation(ctx, h.id, h.token); err != nil {
			h.s.releases.later(h.s, h.id, h.token, h.until, 0, err)
		}
	})
}

// releaseRetry is how often a conversation's lock the database did not let
// go is tried again.
const releaseRetry = time.Second

// releaseTimeout bounds each try in the background where
// HISTORY_READ_TIMEOUT does not (0).
const releaseTimeout = 30 * time.Second

// releases are the conversations' locks whose calls could not let go of
// them (the database failed, or did not answer): each is let go in the
// background, tried every releaseRetry until the database takes it or its
// lease runs out — left to its lease, a conversation stayed locked for
// minutes after the database answered again, every call in it refused with
// conversation_locked. A PostgreSQL lock of a session (an advisory lock)
// goes with its connection, which a failed unlock closes; a conversation's
// is a row, kept by the database, which only a statement lets go.
type releases struct {
	mu      sync.Mutex
	stopped bool
	stop    chan struct{}
	wg      sync.WaitGroup
}

// later lets go of id's lock of token in the background, first after wait.
func (r *releases) later(s *Server, id, token string, until time.Time, wait time.Duration, cause error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		s.log.Warn("a conversation stays locked until its lease runs out", "conversation", id, "until", until, "err", cause)
		return
	}
	if r.stop == nil {
		r.stop = make(chan struct{})
	}
	s.log.Warn("a conversation's lock is let go once the database answers", "conversation", id, "err", cause)
	stop := r.stop
	r.wg.Go(func() {
		for tries := 1; ; tries++ {
			stopping := false
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-stop:
				t.Stop()
				stopping = true // one last try
			}
			ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
			err := s.deps.Conversations.UnlockConversation(ctx, id, token)
			cancel()
			if err == nil {
				s.log.Info("a conversation's lock was let go", "conversation", id, "tries", tries)
				return
			}
			if stopping || !s.now().Before(until) {
				s.log.Warn("a conversation stays locked until its lease runs out", "conversation", id, "until", until, "tries", tries, "err", err)
				return
			}
			wait = releaseRetry
		}
	})
}

// StopReleases tries once more each conversation lock being let go in the
// background and returns when they are done (shutdown, before the database
// closes).
func (s *Server) StopReleases() {
	r := &s.releases
	r.mu.Lock()
	if !r.stopped {
		r.stopped = true
		if r.stop != nil {
			close(r.stop)
		}
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// newItemEntries checks items (raw, a list of Responses input items, at
// most 20; at least one when required) as a request's input is checked, and
// makes their entries of the same items as kept (conversationBody). Added
// to the conversation conversationID (not yet made when ""), an
// item_reference among them may name its items by the ids their clients
// gave them.
func (s *Server) newItemEntries(ctx context.Context, conversationID string, raw, kept json.RawMessage, required bool, now time.Time) ([]qp.ConversationEntry, *openai.Error) {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil { // checked: an array
		return nil, openai.TypeError("items", "an array of items", raw)
	}
	switch {
	case required && len(items) == 0:
		return nil, openai.InvalidRequest("items", "missing_required_parameter", "items must hold at least one item")
	case len(items) > maxConversationItems:
		return nil, openai.InvalidRequest("items", "array_above_max_length",
			"Invalid 'items': array too long. Expected an array with maximum length %d, but got an array with length %d instead.", maxConversationItems, len(items))
	case len(items) == 0:
		return nil, nil
	}
	// Held to what a response's input is held to, but for needing a user
	// message: an assistant's message alone is an item too.
	check := responses.Request{Model: "conversation", Input: raw}
	if conversationID != "" { // its items are named by the ids their clients gave them
		check.ConversationParam, _ = json.Marshal(conversationID)
	}
	if apiErr := check.ValidateCountWith(s.newItems(ctx, &check)); apiErr != nil && !tellsNothing(apiErr) {
		apiErr.Param = itemsParam(apiErr.Param)
		apiErr.Message = itemsParam(apiErr.Message)
		return nil, apiErr
	}
	// Stored as kept, as the record of a call sending them would keep them
	// (images as references unless RECORD_IMAGE_BYTES, secrets redacted):
	// the rows, GET …/items, copy and the exports hold no more, and the
	// next response sends Qwen what is kept (README: Conversations API).
	n := len(items)
	if json.Unmarshal(kept, &items) != nil || len(items) != n { // the same array, edited in place
		return nil, openai.TypeError("items", "an array of items", raw)
	}
	out := make([]qp.ConversationEntry, len(items))
	for i, it := range items {
		out[i] = qp.ConversationEntry{ID: qp.NewID(), CreatedAt: now, Item: bytes.TrimSpace(it)}
	}
	return out, nil
}

// tellsNothing reports whether the check refused the items only for telling
// the model nothing (reasoning items, a hosted tool's call): they are items
// of the conversation all the same, as at OpenAI, listed as sent.
func tellsNothing(apiErr *openai.Error) bool {
	return apiErr.Param == "input" && apiErr.Code == "missing_required_parameter"
}

// itemsParam names the items field where a check of them as a response's
// input named input.
func itemsParam(s string) string {
	s = strings.ReplaceAll(s, "input[", "items[")
	if s == "input" {
		return "items"
	}
	return strings.ReplaceAll(s, "input ", "items ")
}
