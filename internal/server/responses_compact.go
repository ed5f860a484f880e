package server

import (
	"encoding/json"
	"errors"
	"net/http"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
)

// compactResponses serves POST /v1/responses/compact (the SDKs'
// responses.compact, which the Agents SDK's OpenAIResponsesCompactionSession
// calls): the conversation of input (or of previous_response_id, then
// input) replaced by a summary that Qwen writes, asked in the
// conversation's own chat as a turn of it — the same turn as POST
// /v1/responses, recorded as any call, with the ask for the summary after
// the conversation (as Anthropic's compaction is asked, messages.go). The
// answer is OpenAI's compacted response: the user messages (those of the
// responses previous_response_id continues, as their input items list
// them, then input's), then one compaction item whose encrypted_content
// holds the summary (responses.EncodeCompaction). The session is then
// keyed by those messages and the summary, so the conversation that goes
// on from the compacted items ([…user messages, compaction, new input])
// finds the same chat, which still holds everything before it: only the
// new turn goes up.
func (s *Server) compactResponses(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req compactRequest
	req.lookup = s.newItems(ctx, &req.Request)
	d, ok := s.decodeCall(w, r, &req, responses.CompactFields)
	if !ok {
		return
	}
	t, apiErr := s.responsesTurn(ctx, &req.Request, d.body, d.sessionID)
	if apiErr != nil {
		s.refuseTurn(w, r, d, req.Model, apiErr)
		return
	}
	if req.PreviousResponseID != "" {
		if apiErr := s.namePreviousCalls(ctx, req.PreviousResponseID, t.messages); apiErr != nil {
			writeErrorFor(w, r, apiErr)
			return
		}
	}
	var kept []responses.InputItem
	if req.PreviousResponseID != "" {
		// The user messages of the responses it continues first, as
		// their input items list them, oldest first; a database that
		// cannot give them fails the call rather than leave them out.
		chain, apiErr := s.responseChain(ctx, req.PreviousResponseID)
		for i := len(chain) - 1; i >= 0 && apiErr == nil; i-- {
			if chain[i].compacted {
				// The user messages an earlier compaction kept are
				// not listed again: its summary holds them.
				continue
			}
			var items []responses.InputItem
			if items, apiErr = recordedInputItems(chain[i].rec, req.lookup); apiErr == nil {
				kept = append(kept, responses.Compacted(items)...)
			}
		}
		if apiErr != nil {
			writeErrorFor(w, r, apiErr)
			return
		}
	}
	c := s.newCall(w, r, d.body)
	c.ex.Request.IgnoredParams = d.ignored
	if !openai.IsNull(req.Input) {
		// Its item_references were read by the check of the request
		// (decodeCall); one read again (along a chain) that the database
		// now fails fails the call, recorded so, rather than leave it out.
		items, apiErr := inputItems(&req.Request, c.ex.Request.RequestID, req.lookup)
		if apiErr != nil {
			c.fail(failure{api: apiErr, errType: qp.ErrorTypeDatabaseUnavailable, cause: errors.New(apiErr.Message)})
			s.finish(c)
			return
		}
		kept = append(kept, responses.Compacted(items)...)
	}
	// The summary replaces the conversation: it goes whole (no limit).
	t.compacts, t.compactKept, t.stream, t.maxTokens = true, keptMessages(kept), false, 0
	t.messages = append(t.messages[:len(t.messages):len(t.messages)], qp.Message{Role: "user", Text: responses.SummarizeAsk})
	f := t.format.(responsesFormat)
	f.compaction = &compaction{kept: kept}
	t.format = f
	s.answer(c, &t)
}

// compactRequest is a compact body with the check of its route: only
// compact's fields are read (responses.Request.ForCompaction), its input is
// held to what POST /v1/responses holds it to but for needing a user
// message (the ask for the summary is the turn's), a conversation is
// refused, and one of input and previous_response_id is required.
type compactRequest struct {
	responses.Request
	lookup responses.ItemLookup
}

func (r *compactRequest) Validate() *openai.Error {
	r.Request.ForCompaction()
	if err := r.Request.ValidateCountWith(r.lookup); err != nil {
		return err
	}
	if r.InConversation() {
		// Compacted without them, the conversation's items would be
		// left out unseen; and a conversation keeps its own chat. Named
		// before a missing input: a request naming only a conversation
		// meant it as the conversation to compact.
		return openai.InvalidRequest("conversation", "unsupported_parameter",
			"compact does not take a conversation (nor does OpenAI's): send its items as input, or previous_response_id")
	}
	if openai.IsNull(r.Input) && r.PreviousResponseID == "" {
		return openai.InvalidRequest("input", "missing_required_parameter",
			"input is required: the conversation to compact (or previous_response_id, the response whose conversation to compact)")
	}
	return nil
}

// keptMessages are the kept items as the core reads them back, when the
// compacted conversation is sent as a later request's input: what the
// session is keyed by, before the summary.
func keptMessages(kept []responses.InputItem) []qp.Message {
	if len(kept) == 0 {
		return nil
	}
	raw, _ := json.Marshal(kept) // the proxy's own items: cannot fail
	// A chain's, then the input's: gathered from several calls.
	req := responses.Request{Input: raw, Gathered: true}
	return req.Conversation()
}

// compaction is what a compaction's answer holds besides the summary: the
// items it keeps before it.
type compaction struct {
	kept []responses.InputItem
}

// compactedResponse is OpenAI's compacted response object
// (CompactedResponse in openai-node and openai-python).
type compactedResponse struct {
	ID        string           `json:"id"`
	Object    string           `json:"object"` // response.compaction
	CreatedAt int64            `json:"created_at"`
	Output    []any            `json:"output"`
	Usage     *responses.Usage `json:"usage"`
}

// compactionItem is OpenAI's compaction item (ResponseCompactionItem).
type compactionItem struct {
	ID               string `json:"id"`
	Type             string `json:"type"` // compaction
	EncryptedContent string `json:"encrypted_content"`
}

// body is the compacted response: the kept items, then the compaction
// item of summary, whose id is made from the call's as an output item's.
func (cp *compaction) body(id string, createdAt int64, hex, summary string, usage *responses.Usage) []byte {
	output := make([]any, 0, len(cp.kept)+1)
	for _, it := range cp.kept {
		output = append(output, it)
	}
	output = append(output, compactionItem{ID: responses.ID("cmp", hex, 0), Type: "compaction", EncryptedContent: responses.EncodeCompaction(summary)})
	return marshalResponse(compactedResponse{ID: id, Object: "response.compaction", CreatedAt: createdAt, Output: output, Usage: usage})
}
