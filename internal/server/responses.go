package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	qp "qwenproxy"
	"qwenproxy/internal/auth"
	"qwenproxy/internal/historyapi"
	"qwenproxy/internal/httpjson"
	"qwenproxy/internal/jsonscan"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
	"qwenproxy/internal/session"
	"qwenproxy/internal/structured"
)

// createResponse serves POST /v1/responses, the Responses API (Codex): the
// same turn as a chat completion, answered as a response object or its
// semantic event stream. previous_response_id continues the Qwen chat of
// that response; without it, the resent history finds its chat by hash as
// for chat completions (Codex sends store:false and its whole history).
func (s *Server) createResponse(w http.ResponseWriter, r *http.Request) {
	var req responsesRequest
	req.lookup = s.itemLookup(r.Context(), imagesNotKept, &req.Request, req.keep, true)
	d, ok := s.decodeCall(w, r, &req, responses.Fields)
	if !ok {
		return
	}
	if req.InConversation() {
		s.answerInConversation(w, r, &req, d)
		return
	}
	t, apiErr := s.responsesTurn(r.Context(), &req.Request, d.body, d.sessionID)
	if apiErr != nil {
		s.refuseTurn(w, r, d, req.Model, apiErr)
		return
	}
	if req.PreviousResponseID != "" {
		if apiErr := s.namePreviousCalls(r.Context(), req.PreviousResponseID, t.messages); apiErr != nil {
			writeErrorFor(w, r, apiErr)
			return
		}
	}
	c := s.newCall(w, r, d.body)
	c.ex.Request.IgnoredParams = d.ignored
	c.referenced = req.referenced
	s.answer(c, &t)
}

// responsesTurn checks what a Responses request asks for beyond its own
// shape — its tools' schemas, the response it continues, the model and its
// capabilities, the answer format, the images and documents — and returns
// its turn. input_tokens holds a request to the same.
func (s *Server) responsesTurn(ctx context.Context, req *responses.Request, body []byte, sessionID string) (turnSpec, *openai.Error) {
	set, _ := req.ToolSet() // validated
	if apiErr := s.checkToolSchemas(set); apiErr != nil {
		return turnSpec{}, apiErr
	}
	if req.PreviousResponseID != "" {
		previous, apiErr := s.previousSession(ctx, req.PreviousResponseID)
		if apiErr != nil {
			return turnSpec{}, apiErr
		}
		if previous == "" {
			return turnSpec{}, previousNotFound(req.PreviousResponseID)
		}
		if apiErr := s.checkNamedSession(ctx, req.PreviousResponseID, previous, sessionID); apiErr != nil {
			return turnSpec{}, apiErr
		}
		inConversation, apiErr := s.conversationSession(ctx, previous)
		switch {
		case apiErr != nil:
			return turnSpec{}, apiErr
		case inConversation:
			return turnSpec{}, openai.InvalidRequest("previous_response_id", "invalid_value",
				"Response '%s' was answered in the conversation '%s': continue it with conversation, not previous_response_id, which would go on in the conversation's Qwen chat unseen by the conversation", clip(req.PreviousResponseID), previous)
		}
		sessionID = previous
	}
	v, apiErr := s.resolveModel(ctx, req.Model)
	if apiErr != nil {
		return turnSpec{}, apiErr
	}
	format, _ := req.TextFormat() // validated
	jsonFormat, bad := structured.Compile(format)
	if bad != nil {
		return turnSpec{}, openai.InvalidRequest(bad.Param, "invalid_value", "%s %s", bad.Param, bad.Message)
	}
	t := turnSpec{
		format:     responsesFormat{shell: responseShell(req, body), noSummary: !req.WantsSummary(), now: s.now, sources: slices.Contains(req.Include, "web_search_call.action.sources")},
		tools:      set,
		oneCall:    req.ParallelToolCalls != nil && !*req.ParallelToolCalls,
		model:      v.model,
		search:     v.search || req.ForcesSearch() && !v.image && s.canSearch(ctx, v.model),
		image:      v.image,
		edit:       v.edit,
		mapped:     v.mapped,
		asked:      req.Model,
		stream:     req.Stream,
		thinking:   req.WantsThinking() || v.thinking,
		messages:   req.Conversation(),
		sessionID:  sessionID,
		jsonFormat: jsonFormat,
	}
	t.maxTokens = req.OutputLimit()
	if apiErr := s.checkOutputLimit(ctx, &t, openAILimit, limitField{"max_output_tokens", req.MaxOutputTokens}); apiErr != nil {
		return turnSpec{}, apiErr
	}
	if req.ForcesImage() && !t.image {
		// Forced, the image generation tool is Qwen's: the turn draws,
		// on a model that can, and not as a variant that thinks or
		// searches (Qwen's t2i chat does neither).
		if apiErr := refuseVariant(v, req.Model, false); apiErr != nil {
			apiErr.Param, apiErr.Message = "tool_choice", "tool_choice forces image_generation: "+apiErr.Message
			return turnSpec{}, apiErr
		}
		if apiErr := s.requireImageCapability(ctx, v.model, req.Model, false); apiErr != nil {
			apiErr.Param, apiErr.Message = "tool_choice", "tool_choice forces image_generation: "+apiErr.Message
			return turnSpec{}, apiErr
		}
		t.image = true
	}
	if t.image && req.ImageTool() {
		// The drawing is the image generation tool's call, as OpenAI
		// answers it: an image_generation_call item with the image.
		f := t.format.(responsesFormat)
		if apiErr := req.ImageToolRefusal(); apiErr != nil {
			return turnSpec{}, apiErr
		}
		f.imageCall, f.fetch = true, s.fetchGenerated
		t.format = f
		t.imageSize = req.ImageSize()
	}
	if apiErr := imageAnswerConflict(&t, "text.format", "tool_choice"); apiErr != nil {
		if !v.image { // the forced tool's image, not a variant's
			apiErr.Message = fmt.Sprintf("%s asks for a JSON answer, which the image_generation tool that tool_choice forces does not give: its answer is an image", apiErr.Param)
		}
		return turnSpec{}, apiErr
	}
	if req.ForcesSearch() && !t.search {
		// Forced, a search the model cannot do would pass unseen.
		if v.image { // not for want of search in the list: the image variant's chat has none
			return turnSpec{}, imageSearchError("tool_choice", req.Model)
		}
		return turnSpec{}, featureError("tool_choice", v.model, "web search")
	}
	// Declared and not forced, the web search is the model's to use when it
	// sees the need (Codex declares it on every turn): Qwen searches on its
	// own in a text chat. A model without search is not offered it, as
	// other hosted tools are not, nor is a turn whose tool_choice bars it
	// (none, a function forced, allowed_tools without it).
	t.autoSearch = !t.search && req.SearchTool() && req.SearchOffered() && !t.image && s.canSearch(ctx, v.model)
	if req.PreviousResponseID != "" {
		// The id's session must be one the caller can continue: whether
		// it is is known only where sessions are resolved (memory, then
		// the database), when the turn begins. Its chain is read once,
		// by the branch's check or when a new chat must be told it.
		chain := &previousChain{s: s, id: req.PreviousResponseID}
		t.continues, t.branch, t.earlier = req.PreviousResponseID, chain.branch, chain.turns
	}
	return t, s.turnInputs(ctx, &t, "input")
}

// responsesRequest is a Responses API body with the check of its route,
// which resolves its item_reference items: POST /v1/responses's, or, with
// count, input_tokens' (which takes a request without input).
type responsesRequest struct {
	responses.Request
	lookup responses.ItemLookup
	count  bool
	// referenced are the items its item_reference items named, by the
	// ids they named, as GET …/input_items lists them (keep): its record
	// keeps them (referencedItems), so that its input items stay what they
	// were when it was answered, whatever becomes of the responses and
	// conversations they were found in.
	referenced map[string]json.RawMessage
}

// keep keeps the item an item_reference named (listed: as listed).
func (r *responsesRequest) keep(id string, listed json.RawMessage) {
	if r.referenced == nil {
		r.referenced = map[string]json.RawMessage{}
	}
	r.referenced[id] = listed
}

func (r *responsesRequest) Validate() *openai.Error {
	if r.count {
		return r.Request.ValidateCountWith(r.lookup)
	}
	return r.Request.ValidateWith(r.lookup)
}

// storedItems is the lookup of a call's item_reference items, for its
// conversation: the items listedItems finds, but for an image or a
// document of an input item that the record keeps only a reference of,
// which cannot be sent again and is told as text, as in a rebuilt
// conversation (imagesNotKept), rather than refused. in is the request
// whose references it resolves (read when they are: after it is decoded),
// whose previous_response_id chain and conversation are looked in for an
// id a client gave its item; nil for none.
func (s *Server) storedItems(ctx context.Context, in *responses.Request) responses.ItemLookup {
	return s.itemLookup(ctx, imagesNotKept, in, nil, false)
}

// newItems is storedItems for a new request's input (a response, a
// compaction, a count of input tokens, a conversation's turn), which waits
// for an item another instance may have answered a moment ago
// (awaitRecent).
func (s *Server) newItems(ctx context.Context, in *responses.Request) responses.ItemLookup {
	return s.itemLookup(ctx, imagesNotKept, in, nil, true)
}

// listedItems is the lookup of the item_reference items GET …/input_items
// lists: the items as GET serves them.
func (s *Server) listedItems(ctx context.Context) responses.ItemLookup {
	return s.itemLookup(ctx, nil, nil, nil, false)
}

// maxScanned bounds the recent calls of the caller's key an item_reference
// to an id a client gave its item is looked for in when the index of item
// ids does not find it (clientItem).
const maxScanned = 100

// lookedItem is an item as a lookup finds it: as listed, and, for an input
// item sent with its own id, the id the proxy listed it under before it
// kept the client's (madeInputItems).
type lookedItem struct {
	raw  json.RawMessage
	made string
	// listed is raw as listed, before a lookup's rewrite.
	listed json.RawMessage
}

// itemLookup finds an item among the output and input items of the
// caller's stored responses and compacted responses (as GET serves them),
// or among the items added to the caller's conversations (as GET …/items
// lists them), then passed through rewrite when given; each response or
// entry read once. An id the proxy made carries its response's request id
// (responses.ID, responses.InputID), or its conversation entry's id (an
// added item's, inputItems): it is looked for there. Any other — an id a
// client gave its input item, which OpenAI keeps — is looked for along
// in's previous_response_id chain, in in's conversation, then among all
// the calls of the caller's key and the items added to its conversations
// (the latest that carried it: the indexes, indexedItem), then in the
// caller's maxScanned latest calls.
// keep, when given, is told each item found, as listed (before rewrite), by
// the id that named it. With await (a new request's input, not a recorded
// one's), an id not found that another instance may have answered a moment
// ago is waited for (awaitRecent).
func (s *Server) itemLookup(ctx context.Context, rewrite func([]json.RawMessage) []json.RawMessage, in *responses.Request,
	keep func(id string, listed json.RawMessage), await bool) responses.ItemLookup {
	var read map[string][]lookedItem // made at the first reference: most calls have none
	var found json.RawMessage        // the listed form of the item find found last
	var latest latestCalls
	cached := func(key string, items func() ([]lookedItem, *openai.Error)) ([]lookedItem, *openai.Error) {
		if got, seen := read[key]; seen {
			return got, nil
		}
		got, apiErr := items()
		if apiErr != nil {
			return nil, apiErr
		}
		for i := range got {
			got[i].listed = got[i].raw
		}
		if rewrite != nil {
			raws := make([]json.RawMessage, len(got))
			for i, it := range got {
				raws[i] = it.raw
			}
			for i, raw := range rewrite(raws) {
				got[i].raw = raw
			}
		}
		if read == nil {
			read = map[string][]lookedItem{}
		}
		read[key] = got
		return got, nil
	}
	find := func(items []lookedItem, id string) *responses.Item {
		match := func(made bool) *responses.Item {
			for _, looked := range items {
				var it responses.Item
				if made && looked.made != id || json.Unmarshal(looked.raw, &it) != nil {
					continue
				}
				if made || it.ID == id {
					found = looked.listed
					return &it
				}
			}
			return nil
		}
		if it := match(false); it != nil {
			return it
		}
		return match(true)
	}
	record := func(requestID string, rec *qp.RequestRecord) ([]lookedItem, *openai.Error) {
		return cached(strings.ReplaceAll(requestID, "-", ""), func() ([]lookedItem, *openai.Error) { return recordedItems(rec), nil })
	}
	lookup := func(id string) (*responses.Item, *openai.Error) {
		if _, rest, _ := strings.Cut(id, "_"); len(rest) > 32 {
			digits := rest[:32]
			items, apiErr := cached(digits, func() ([]lookedItem, *openai.Error) {
				rec, apiErr := s.responseObject(ctx, "resp_"+digits, true)
				if apiErr != nil && apiErr.Status != http.StatusNotFound {
					return nil, apiErr
				}
				if rec != nil {
					return recordedItems(rec), nil
				}
				return s.conversationItems(ctx, digits)
			})
			if apiErr != nil {
				return nil, apiErr
			}
			if it := find(items, id); it != nil {
				return it, nil
			}
		}
		return s.clientItem(ctx, id, in, &latest, record, find)
	}
	if await {
		// A response not found is read again when waited for.
		lookup = s.awaitRecent(ctx, lookup, func(digits string) { delete(read, digits) })
	}
	if keep == nil {
		return lookup
	}
	return func(id string) (*responses.Item, *openai.Error) {
		found = nil
		it, apiErr := lookup(id)
		if it != nil && found != nil {
			keep(id, found)
		}
		return it, apiErr
	}
}

// clientItem is itemLookup's search for an id a client gave its item:
// along in's previous_response_id chain (compactions too), in in's
// conversation, then among all the calls of the caller's key and the items
// added to its conversations (indexedItem), then in its latest calls.
func (s *Server) clientItem(ctx context.Context, id string, in *responses.Request, latest *latestCalls, record func(string, *qp.RequestRecord) ([]lookedItem, *openai.Error),
	find func([]lookedItem, string) *responses.Item) (*responses.Item, *openai.Error) {
	if in != nil {
		previous := in.PreviousResponseID
		for n := 0; previous != "" && n < maxChain; n++ {
			rec, apiErr := s.responseObject(ctx, previous, true)
			if apiErr != nil {
				if apiErr.Status != http.StatusNotFound {
					return nil, apiErr // the database's failure: not an item not found
				}
				break
			}
			items, apiErr := record(rec.RequestID, rec)
			if apiErr != nil {
				return nil, apiErr
			}
			if it := find(items, id); it != nil {
				return it, nil
			}
			var req struct {
				PreviousResponseID string `json:"previous_response_id"`
			}
			_ = json.Unmarshal(rec.OpenAIRequest, &req)
			previous = req.PreviousResponseID
		}
		if conv, ok := responses.ConversationID(in.ConversationParam); ok && in.InConversation() {
			_, entries, apiErr := s.conversationEntries(ctx, conv)
			if apiErr != nil && apiErr.Status != http.StatusNotFound {
				return nil, apiErr // the database's failure: not an item not found
			}
			if apiErr == nil {
				listed, apiErr := s.conversationReader(ctx, entries).find(id)
				if apiErr != nil {
					return nil, apiErr
				}
				if listed != nil {
					// Found by the id it is listed under, or the one
					// the proxy listed it under before.
					if it := find([]lookedItem{{raw: listed.raw, listed: listed.raw, made: id}}, id); it != nil {
						return it, nil
					}
				}
			}
		}
	}
	// The latest call of the caller's key whose input gave an item that
	// id, or item added to one of its conversations with it (the indexes:
	// a read each at any size of the history). The recorder may still hold
	// a call that gave it (answered a moment ago, within RECORDER_LINGER):
	// what is queued is written first, once a call, so that the index names
	// the newest carrier. Until 2026-12-06 it was written only when the
	// index knew none, and an older carrier's item was named meanwhile.
	// Failing, the index has what the database has, and a miss is no
	// answer that the item is not there (see the end).
	if !latest.caughtUp {
		latest.caughtUp = true
		latest.notInDatabase = historyapi.InDatabase(ctx, s.deps.Recorder, historyapi.QueueWait)
	}
	it, apiErr := s.indexedItem(ctx, id, record, find)
	if it != nil || apiErr != nil {
		return it, apiErr
	}
	// Not there: the index names one call per id, the latest that carried
	// it (or, its response deleted, the one before it), and none once that
	// call is gone (its session, retention; the one before it too) though
	// an older call of the key carries the id too; and the calls recorded before the index (migration 0041) are
	// indexed in the background after an upgrade. The key's latest calls
	// are looked in then, as they were before the index (a miss is a 400:
	// a request that names its items pays no more).
	if !latest.read {
		latest.read = true
		page, err := s.deps.History.ListRequests(ctx, qp.CallFilter{APIKeyID: auth.FromContext(ctx).KeyID}, qp.ListOptions{Limit: maxScanned, Bodies: true, NoTotal: true})
		if err != nil {
			return nil, s.itemsUnavailable(err)
		}
		for i := range page.Items {
			rec := &page.Items[i]
			served, apiErr := s.served(ctx, rec, true)
			if apiErr != nil {
				return nil, apiErr
			}
			if served {
				latest.recs = append(latest.recs, rec)
			}
		}
	}
	for _, rec := range latest.recs {
		items, _ := record(rec.RequestID, rec) // recordedItems: no error
		if it := find(items, id); it != nil {
			return it, nil
		}
	}
	if latest.notInDatabase != nil {
		// The call that gave the item may be among the records the
		// recorder holds in memory or spooled (the database refuses them)
		// or could not write in time: a 503, which clients retry, not the
		// 400 of an item that is not there (until 2026-12-07 it was that
		// 400 while the records were held).
		return nil, s.itemsUnavailable(latest.notInDatabase)
	}
	return nil, nil
}

// indexedItem is the item a client gave the id id, found by the indexes
// of the caller's key: the latest call whose input had it (CallWithItem),
// when that call still serves its response object (not deleted; not another
// key's), and the latest item added to one of the key's conversations with
// it (ConversationItemWithID; until 2026-12-06 not indexed, found only from
// its own conversation). Where both have it, the newer carrier's item is
// the one named, as in each index.
func (s *Server) indexedItem(ctx context.Context, id string, record func(string, *qp.RequestRecord) ([]lookedItem, *openai.Error),
	find func([]lookedItem, string) *responses.Item) (*responses.Item, *openai.Error) {
	rec, apiErr := s.indexedCall(ctx, id)
	if apiErr != nil {
		return nil, apiErr
	}
	entry, apiErr := s.indexedConversationItem(ctx, id)
	if apiErr != nil {
		return nil, apiErr
	}
	fromCall := func() (*responses.Item, *openai.Error) {
		if rec == nil {
			return nil, nil
		}
		items, apiErr := record(rec.RequestID, rec)
		if apiErr != nil {
			return nil, apiErr
		}
		return find(items, id), nil
	}
	fromEntry := func() *responses.Item {
		if entry == nil {
			return nil
		}
		return find(entryItems(*entry), id)
	}
	if entry != nil && (rec == nil || entry.CreatedAt.After(rec.Timestamp)) {
		if it := fromEntry(); it != nil {
			return it, nil
		}
		return fromCall()
	}
	if it, apiErr := fromCall(); it != nil || apiErr != nil {
		return it, apiErr
	}
	return fromEntry(), nil
}

// indexedCall is the latest call of the caller's key whose input gave an
// item the id id (CallWithItem), when it still serves its response object;
// nil for none.
func (s *Server) indexedCall(ctx context.Context, id string) (*qp.RequestRecord, *openai.Error) {
	requestID, err := s.deps.ResponseObjects.CallWithItem(ctx, auth.FromContext(ctx).KeyID, id)
	if err != nil {
		return nil, s.itemsUnavailable(err)
	}
	if requestID == "" {
		return nil, nil
	}
	rec, err := s.deps.History.Request(ctx, requestID)
	switch {
	case errors.Is(err, qp.ErrNotFound):
		return nil, nil // deleted since
	case err != nil:
		return nil, s.itemsUnavailable(err)
	}
	served, apiErr := s.served(ctx, rec, true)
	if apiErr != nil || !served {
		return nil, apiErr
	}
	return rec, nil
}

// indexedConversationItem is the latest item entry of the caller's
// conversations that the client gave the id id (ConversationItemWithID);
// nil for none.
func (s *Server) indexedConversationItem(ctx context.Context, id string) (*qp.ConversationEntry, *openai.Error) {
	if s.deps.Conversations == nil {
		return nil, nil
	}
	_, e, err := s.deps.Conversations.ConversationItemWithID(ctx, auth.FromContext(ctx).KeyID, id)
	switch {
	case errors.Is(err, qp.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, s.itemsUnavailable(err)
	}
	return &e, nil
}

// itemsUnavailable logs a database's failure to look for the item an
// item_reference names and is its 503.
func (s *Server) itemsUnavailable(err error) *openai.Error {
	s.log.Error("look for the item an item_reference names", "err", err)
	return &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeUnavailable, Code: "database_unavailable",
		Message: "the item an item_reference names could not be looked for: the database is unavailable"}
}

// latestCalls are the caller's latest calls that are served response
// objects, as a lookup read them where the index did not find an id
// (clientItem), and whether the lookup waited for the recorder's queue.
type latestCalls struct {
	recs           []*qp.RequestRecord
	read, caughtUp bool
	// notInDatabase is why the records queued before the lookup may not
	// all be in the database (historyapi.InDatabase); nil when they are.
	notInDatabase error
}

// conversationItems are the items of the conversation entry whose id is
// digits (its 32 hex digits), as GET …/items lists them — an item added to a
// conversation of the caller's; none for another key's, or for no such
// entry. An item_reference among them is not followed: listed without
// it, as inputItems lists one it cannot find (an entry refers only to
// items that were there before it, so it never names itself).
func (s *Server) conversationItems(ctx context.Context, digits string) ([]lookedItem, *openai.Error) {
	if s.deps.Conversations == nil {
		return nil, nil
	}
	entryID := digits[:8] + "-" + digits[8:12] + "-" + digits[12:16] + "-" + digits[16:20] + "-" + digits[20:]
	_, keyID, e, err := s.deps.Conversations.ConversationItem(ctx, entryID)
	switch {
	case errors.Is(err, qp.ErrNotFound):
		return nil, nil
	case err != nil:
		s.log.Error("read the conversation item an item_reference names", "err", err)
		return nil, conversationUnavailable("read")
	case keyID != auth.FromContext(ctx).KeyID:
		return nil, nil // another key's: not found, as its conversation is
	}
	return entryItems(e), nil
}

// entryItems are the items of an item entry of a conversation, as GET
// …/items lists them (an item_reference among them not followed).
func entryItems(e qp.ConversationEntry) []lookedItem {
	req := responses.Request{Input: json.RawMessage("[" + string(e.Item) + "]")}
	listed, made, _ := madeInputItems(&req, e.ID, nil) // no lookup: no error
	items := make([]lookedItem, len(listed))
	for i, it := range listed {
		// listed too: an item found here by the index of conversation
		// item ids (indexedItem, not through cached) is then kept beside
		// the call that named it, as a response's item is.
		raw := marshalResponse(it)
		items[i] = lookedItem{raw: raw, made: made[i], listed: raw}
	}
	return items
}

// recordedItems are a stored response's output items and input items.
func recordedItems(rec *qp.RequestRecord) []lookedItem {
	var items []lookedItem
	for _, raw := range responseOutput(rec) { // responseObject checked it is a response
		items = append(items, lookedItem{raw: raw})
	}
	listed, made, _ := recordedMadeInputItems(rec, nil) // no lookup: no error
	for i, it := range listed {
		items = append(items, lookedItem{raw: marshalResponse(it), made: made[i]})
	}
	return items
}

// refuseTurn answers apiErr, a Responses call's refusal before its turn
// (responsesTurn's). A previous_response_id that continues nothing (a
// response deleted, or whose record is not found) is recorded too, as a
// 400 invalid_input, as the turn records one whose session it does not find
// (another key's, or none): until 2026-12-06 a deleted response's 400 was
// in no record, the history missing a call its client saw refused.
func (s *Server) refuseTurn(w http.ResponseWriter, r *http.Request, d decodedCall, model string, apiErr *openai.Error) {
	if apiErr.Code != "previous_response_not_found" {
		writeErrorFor(w, r, apiErr)
		return
	}
	c := s.newCall(w, r, d.body)
	c.ex.Request.IgnoredParams = d.ignored
	c.ex.Request.Model = model
	c.fail(failure{api: apiErr, errType: qp.ErrorTypeInvalidInput, cause: errors.New(apiErr.Message)})
	s.finish(c)
}

// previousNotFound is OpenAI's 400 for a previous_response_id that
// continues nothing.
func previousNotFound(id string) *openai.Error {
	return &openai.Error{Status: http.StatusBadRequest, Type: openai.TypeInvalidRequest, Param: "previous_response_id",
		Code: "previous_response_not_found", Message: "Previous response with id '" + clip(id) + "' not found."}
}

// sessionConflict is the 400 for an X-Session-Id beside a
// previous_response_id of another session.
func sessionConflict(previousID, sessionID string) *openai.Error {
	return &openai.Error{Status: http.StatusBadRequest, Type: openai.TypeInvalidRequest, Param: "previous_response_id", Code: "session_conflict",
		Message: "Previous response with id '" + previousID + "' is not of the session X-Session-Id names ('" + sessionID + "'): send one of them, or the header naming the response's session (or a session it branched off from)."}
}

// checkNamedSession checks the X-Session-Id named beside a
// previous_response_id (previousID, of session previous): it must name the
// response's session, or one that session branched off from (the header's
// conversation, as its client started it, goes on in a branch: a session of
// its own, on a chat of its own, see session.Request.Continues). Until
// 2026-12-06 a branch's response was a conflict under the header the branch
// was made under, so a client that sends one X-Session-Id on every call
// could not go on with the branch it had made. Any other session's name is
// a 400 session_conflict: each names a conversation, and continuing the
// header's would answer from another than the id's. A database that cannot
// say is a 503.
func (s *Server) checkNamedSession(ctx context.Context, previousID, previous, named string) *openai.Error {
	if named == "" || named == previous {
		return nil
	}
	key := auth.FromContext(ctx).KeyID
	// Under another key's session name, the caller's session is its own
	// one under it (until 2026-12-07 a response of that session was a
	// conflict beside the name its turns were asked under).
	caller, err := s.deps.Sessions.SessionNamed(ctx, named, key)
	if caller == "" {
		caller = named
	}
	if caller == previous {
		return nil
	}
	branch := false
	if err == nil {
		branch, err = s.deps.Sessions.BranchOf(ctx, previous, caller, key)
	}
	if err != nil {
		s.log.Error("read the sessions a branch's previous_response_id came from", "err", err)
		return &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeUnavailable, Code: "database_unavailable",
			Message: "the session of the previous response could not be read: the database is unavailable"}
	}
	if !branch {
		return sessionConflict(previousID, named)
	}
	return nil
}

// previousSession is the session a previous_response_id continues: the one
// its id names, or, for an id made before its session was known (a stream
// opened early by a keep-alive), the one its recorded call names. "" when
// there is none, or when its owner deleted the response. A database that
// cannot say (or does not answer within HISTORY_READ_TIMEOUT) is a 503:
// taken for "not found", the turn was a 400 previous_response_not_found,
// which a client does not retry, for a response that exists.
func (s *Server) previousSession(ctx context.Context, id string) (string, *openai.Error) {
	requestID, sessionID, ok := parseResponseID(id)
	if !ok {
		return "", nil
	}
	// A response its owner deleted continues nothing.
	deleted, err := s.deps.ResponseObjects.ResponseObjectDeleted(ctx, requestID)
	switch {
	case err != nil:
		return "", s.responseUnreadable(err)
	case deleted:
		return "", nil
	case sessionID != "":
		return sessionID, nil
	}
	rec, err := s.recordedCall(ctx, requestID)
	switch {
	case errors.Is(err, qp.ErrNotFound):
		return "", nil
	case err != nil:
		return "", s.responseUnreadable(err)
	case rec.Path != "/v1/responses":
		return "", nil
	}
	return rec.SessionID, nil
}

// recordedCall is the record of the call requestID, written first if it
// still waits in the recorder's queue (a client's next request may follow
// its answer at once).
func (s *Server) recordedCall(ctx context.Context, requestID string) (*qp.RequestRecord, error) {
	return historyapi.Recent(ctx, s.deps.Recorder, func(ctx context.Context) (*qp.RequestRecord, error) {
		return s.deps.History.Request(ctx, requestID)
	})
}

// marshalResponse encodes a Responses API value as OpenAI writes it: without
// escaping <, > and &, so that its echoes of the request (instructions,
// tools) are the request's bytes, which the record stores once.
func marshalResponse(v any) []byte {
	b, _ := httpjson.Marshal(v) // the package's own types and raw JSON decoded once: cannot fail
	return b
}

// textEcho is the response's text: the request's, with the format it gets
// when it names none (text), as OpenAI's echo has it.
func textEcho(raw json.RawMessage) json.RawMessage {
	fields := map[string]json.RawMessage{}
	if len(raw) > 0 && string(raw) != "null" {
		_ = json.Unmarshal(raw, &fields) // decoded once already: an object
	}
	if f := fields["format"]; len(f) == 0 || string(f) == "null" {
		fields["format"] = json.RawMessage(`{"type":"text"}`)
	}
	return marshalResponse(fields)
}

// echoed is what a response echoes of its request as sent: each field's
// JSON, nil when absent.
type echoed struct {
	Instructions, Text, ToolChoice, Tools json.RawMessage
	// Settings without effect, echoed as OpenAI's response has them.
	Background, MaxToolCalls, PromptCacheKey, PromptCacheRetention, SafetyIdentifier, TopLogprobs, User json.RawMessage
}

// echoedFields reads the echoed fields of body, a request already decoded
// (valid JSON), as json.Unmarshal into a struct of them would — names
// matched without case, the last of a name winning — from one scan of its
// top level: unmarshalling it checked and skipped the whole input again, a
// coding agent's hundred kilobytes of history on every call.
func echoedFields(body []byte) echoed {
	var e echoed
	fields := [...]struct {
		name string
		dst  *json.RawMessage
	}{
		{"instructions", &e.Instructions}, {"text", &e.Text}, {"tool_choice", &e.ToolChoice},
		{"tools", &e.Tools}, {"background", &e.Background}, {"max_tool_calls", &e.MaxToolCalls},
		{"prompt_cache_key", &e.PromptCacheKey}, {"prompt_cache_retention", &e.PromptCacheRetention}, {"safety_identifier", &e.SafetyIdentifier},
		{"top_logprobs", &e.TopLogprobs}, {"user", &e.User},
	}
	jsonscan.EachField(body, func(name string, v json.RawMessage) bool {
		for _, f := range fields {
			if strings.EqualFold(name, f.name) {
				*f.dst = v
				break
			}
		}
		return true
	})
	return e
}

// integerEcho is an integer field of the request as the response echoes
// it: written as an integer, as OpenAI echoes it (1e3 as 1000, 3.0 as 3:
// an SDK that reads an int64 refuses 3.0), or def when absent or null. The
// field was checked to be one (openai.CheckInteger).
func integerEcho(raw json.RawMessage, def string) json.RawMessage {
	n, ok := openai.IntegerValue(raw)
	switch {
	case !ok:
		return json.RawMessage(def)
	case !bytes.ContainsAny(raw, ".eE"):
		return bytes.TrimSpace(raw) // its digits, exact beyond a float64's
	}
	return strconv.AppendFloat(nil, n, 'f', -1, 64)
}

// reasoningEcho is the request's reasoning as OpenAI's response echoes it:
// {"effort":…,"summary":…}, both keys always there, null when not given.
func reasoningEcho(req *responses.Request) json.RawMessage {
	var echo struct {
		Effort  *string `json:"effort"`
		Summary *string `json:"summary"`
	}
	if req.Reasoning != nil {
		echo.Effort, echo.Summary = req.Reasoning.Effort, req.Reasoning.Summary
	}
	b, _ := json.Marshal(echo) // two strings or nulls: cannot fail
	return b
}

// responseShell is the response object's echo of the request's settings,
// those without effect too (temperature, top_p, truncation), as OpenAI's
// response has them: the SDKs type temperature and top_p as always there.
func responseShell(req *responses.Request, body []byte) responses.Response {
	echo := echoedFields(body)
	or := func(raw json.RawMessage, def string) json.RawMessage {
		if len(raw) == 0 || string(raw) == "null" {
			return json.RawMessage(def)
		}
		return raw
	}
	r := responses.Response{Instructions: or(echo.Instructions, `null`), MaxOutputTokens: integerEcho(req.MaxOutputTokens, `null`), ParallelToolCalls: true,
		Reasoning: reasoningEcho(req), Store: req.Stored(), Text: textEcho(echo.Text),
		ToolChoice: or(echo.ToolChoice, `"auto"`), Tools: or(echo.Tools, `[]`), Truncation: "disabled", Metadata: req.Metadata,
		Temperature: req.Temperature, TopP: req.TopP,
		Background: or(echo.Background, `false`), MaxToolCalls: integerEcho(echo.MaxToolCalls, `null`), PromptCacheKey: or(echo.PromptCacheKey, `null`),
		PromptCacheRetention: or(echo.PromptCacheRetention, `null`),
		SafetyIdentifier:     or(echo.SafetyIdentifier, `null`), TopLogprobs: integerEcho(echo.TopLogprobs, `0`), User: or(echo.User, `null`),
		// The tier that served it: Qwen's one, OpenAI's "default" (what
		// "auto" resolves to).
		ServiceTier: json.RawMessage(`"default"`)}
	if req.Truncation != nil {
		r.Truncation = *req.Truncation
	}
	if req.ParallelToolCalls != nil {
		r.ParallelToolCalls = *req.ParallelToolCalls
	}
	if req.PreviousResponseID != "" {
		r.PreviousResponseID = &req.PreviousResponseID
	}
	if r.Metadata == nil {
		r.Metadata = map[string]string{}
	}
	return r
}

// responseID names a response: resp_, the call's request id (32 hex
// digits: where it is recorded) and its session id (base64url: the Qwen
// chat a previous_response_id continues, without a lookup, on any instance
// and after a restart; empty when the id was made before the session was
// known).
func responseID(requestID, sessionID string) string {
	return "resp_" + strings.ReplaceAll(requestID, "-", "") + base64.RawURLEncoding.EncodeToString([]byte(sessionID))
}

// parseResponseID reads a responseID back into the request UUID and the
// session id ("" if it carries none).
func parseResponseID(id string) (requestID, sessionID string, ok bool) {
	rest, ok := strings.CutPrefix(id, "resp_")
	if !ok || len(rest) < 32 {
		return "", "", false
	}
	if _, err := hex.DecodeString(rest[:32]); err != nil {
		return "", "", false
	}
	sid, err := base64.RawURLEncoding.DecodeString(rest[32:])
	if err != nil || (len(sid) > 0 && !session.ValidID(string(sid))) {
		return "", "", false
	}
	h := rest[:32]
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], string(sid), true
}
