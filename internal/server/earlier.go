package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	qp "qwenproxy"
	"qwenproxy/internal/jsonscan"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
)

// A Responses call continued by previous_response_id resends only its new
// input: the conversation so far is in its Qwen chat. When that chat cannot
// be used — its account can no longer take calls, or Qwen no longer knows
// it — the new chat is told the conversation again, rebuilt from the stored
// responses of the chain (previousChain), as a client that resends its
// history has it told from what it sends.

// maxChain bounds the responses read back along a previous_response_id
// chain.
const maxChain = 500

// previousChain is the conversation a previous_response_id stands for, read
// once a call: a turn that branches off reads the response's chain whole
// (branch, branchChain) and its new chat is told what that read; any other
// turn that must tell a new chat the conversation (its account can no
// longer take calls, Qwen no longer knows its chat) reads it then (turns).
// A call's turn is answered on one goroutine: no lock.
type previousChain struct {
	s  *Server
	id string // the previous_response_id
	// links is the chain as branch read it (read: it did).
	links []chainLink
	read  bool
	// told is the conversation the chain stands for, once turns made it.
	told     []qp.Message
	toldMade bool
}

// branch checks that the turn may branch off from the response (see
// branchChain) and keeps the chain it read for turns.
func (c *previousChain) branch(ctx context.Context) error {
	links, err := c.s.branchChain(ctx, c.id)
	if err != nil {
		return err
	}
	c.links, c.read = links, true
	return nil
}

// turns is the conversation the response stands for (earlierTurns), from
// the chain branch read, or else read now (responseChain); a database that
// fails a read of it (or does not answer within HISTORY_READ_TIMEOUT) is an
// error (qp.ErrStoreUnavailable), which fails the turn: told only part of
// the conversation, or none, the new chat would answer as if it had not
// been. Made once: a branch names its session by it before its chat is
// told it.
func (c *previousChain) turns(ctx context.Context) ([]qp.Message, error) {
	if c.toldMade {
		return c.told, nil
	}
	chain := c.links
	if !c.read {
		var apiErr *openai.Error
		if chain, apiErr = c.s.responseChain(ctx, c.id); apiErr != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err() // the call's own end (the client left), not the database's
			}
			return nil, fmt.Errorf("%w: the responses previous_response_id %s continues could not be read: %s", qp.ErrStoreUnavailable, clip(c.id), apiErr.Message)
		}
	}
	msgs, err := c.s.earlierTurns(ctx, c.id, chain)
	if err == nil {
		c.told, c.toldMade = msgs, true
	}
	return msgs, err
}

// earlierTurns is the conversation the chain of previousID stands for:
// each stored response of it, oldest first, its input then its output, as
// the core's messages (without their instructions: the new call has its
// own). An item_reference of it naming an item no longer recorded is told
// as a placeholder (toldAgain).
func (s *Server) earlierTurns(ctx context.Context, previousID string, chain []chainLink) ([]qp.Message, error) {
	var items []json.RawMessage
	for i := len(chain) - 1; i >= 0; i-- {
		if chain[i].compacted {
			// What the compaction kept, then its summary: the
			// conversation it stands for.
			items = append(items, responseOutput(chain[i].rec)...)
			continue
		}
		items = append(items, turnItems(&chain[i].req, chain[i].rec)...)
	}
	return s.toldAgain(ctx, items, "previous_response_id", previousID)
}

// chainLink is a stored response of a previous_response_id chain, with its
// request; compacted for a compacted response (POST
// /v1/responses/compact's), which ends the chain: its output, the user
// messages it kept and its summary, stands for what came before it.
type chainLink struct {
	rec       *qp.RequestRecord
	req       responses.Request
	compacted bool
}

// responseChain is each stored response of previousID's chain with its
// request, newest first, as far as it can be read: to its first response,
// or to a compacted response (until 2026-12-06 a compacted response was
// not read, so that a new chat continuing from its id was told nothing of
// the conversation); the error of a database that failed to read one (a
// 503), where a response no longer served ends it (a branch off from a
// chain holding one is refused before its chat is told it: branchChain).
func (s *Server) responseChain(ctx context.Context, previousID string) ([]chainLink, *openai.Error) {
	var failed *openai.Error
	chain, _ := walkChain(previousID, func(id string) (*qp.RequestRecord, error) {
		rec, apiErr := s.responseObject(ctx, id, true)
		switch {
		case apiErr == nil:
			return rec, nil
		case apiErr.Status == http.StatusNotFound:
			return nil, nil // no longer served: the chain ends
		}
		failed = apiErr
		return nil, apiErr
	})
	if failed != nil {
		return nil, failed
	}
	return chain, nil
}

// walkChain reads the chain of previousID, newest first, each response's
// record by read (nil, and no error, where the chain ends before it): to
// its first response, or to a compacted response, whose output stands for
// what came before it; at most maxChain. A request that cannot be decoded
// ends it, after its response. read's error is walkChain's.
func walkChain(previousID string, read func(id string) (*qp.RequestRecord, error)) ([]chainLink, error) {
	var chain []chainLink
	for id := previousID; id != "" && len(chain) < maxChain; {
		rec, err := read(id)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			break
		}
		var req responses.Request
		err = json.Unmarshal(rec.OpenAIRequest, &req)
		compacted := rec.Path == compactPath
		chain = append(chain, chainLink{rec, req, compacted})
		if err != nil || compacted {
			break
		}
		id = req.PreviousResponseID
	}
	return chain, nil
}

// turnItems are a stored response's items as a new chat is told them: its
// input (none when req is nil: stored cut), then the output items that
// stand.
func turnItems(req *responses.Request, rec *qp.RequestRecord) []json.RawMessage {
	var items []json.RawMessage
	if req != nil {
		// The items its references named when it was answered, where
		// its record kept them.
		items = withKeptItems(inputItemsOf(req.Input), rec.ReferencedItems)
	}
	for _, it := range responseOutput(rec) {
		var head struct{ Type, Status string }
		// A call a failed answer broke off in is recorded incomplete:
		// its arguments were cut short and it was never run.
		if json.Unmarshal(it, &head) == nil && (head.Type == "message" || (head.Type == "function_call" || head.Type == "custom_tool_call") && head.Status != "incomplete") {
			items = append(items, it)
		}
	}
	return items
}

// toldAgain is the core's messages of earlier items (Responses input
// items), as a new chat is told them (without their instructions: the new
// call has its own); nil when they cannot be read. An item_reference among
// them naming an item no longer recorded is told as a placeholder
// (placeHeld), logged once a call. param stands for them in a 400 about one
// of their images or documents; of names what they are, for the log. A
// database that fails a lookup of an item_reference among them is an error
// (qp.ErrStoreUnavailable), not items left untold.
func (s *Server) toldAgain(ctx context.Context, items []json.RawMessage, param, of string) ([]qp.Message, error) {
	if len(items) == 0 {
		return nil, nil
	}
	input, err := json.Marshal(imagesNotKept(items))
	if err != nil {
		return nil, nil
	}
	req := responses.Request{Model: "earlier", Input: input, Gathered: true}
	// Their references name items of the chain or conversation they
	// come from by the ids clients gave them too.
	scope := responses.Request{}
	switch param {
	case "previous_response_id":
		scope.PreviousResponseID = of
	case "conversation":
		scope.ConversationParam, _ = json.Marshal(of)
	}
	lost := map[string]bool{}
	if apiErr := req.ValidateWith(placeHeld(s.storedItems(ctx, &scope), lost)); apiErr != nil {
		if apiErr.Status >= http.StatusInternalServerError {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%w: the earlier conversation (%s %s) could not be read: %s", qp.ErrStoreUnavailable, param, clip(of), apiErr.Message)
		}
		s.log.Warn("cannot rebuild the earlier conversation for a new chat", param, of, "err", apiErr.Message)
		return nil, nil
	}
	if len(lost) > 0 {
		ids := make([]string, 0, len(lost))
		for id := range lost {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		s.log.Warn("an item_reference in the earlier conversation told a new chat is no longer recorded: told as a placeholder", param, of, "item_ids", ids)
	}
	msgs := req.Conversation()
	for i := range msgs {
		// Their paths are in the rebuilt input, which the client never
		// sent: a 400 about one names what stands for it.
		for j := range msgs[i].Images {
			msgs[i].Images[j].Param = param
		}
		for j := range msgs[i].Documents {
			msgs[i].Documents[j].Param = param
		}
	}
	return msgs, nil
}

// placeHeld is lookup, for the references of an earlier conversation told
// again to a new chat: one naming an item that can no longer be read back
// (deleted since, over RECORD_MAX_BODY_BYTES so not kept, or recorded
// before the items references named were kept, migration 0041) is the
// user message "[item_reference ID: no longer recorded]", as the history's
// transcript shows a reference, its id put in lost. The rest of the
// conversation is still told, and the model sees where something is
// missing (until 2026-12-06 one such reference left the whole earlier
// conversation untold, the call answered as if it had never been). A
// database that cannot say is still lookup's error (a 503), not a
// placeholder.
func placeHeld(lookup responses.ItemLookup, lost map[string]bool) responses.ItemLookup {
	return func(id string) (*responses.Item, *openai.Error) {
		it, apiErr := lookup(id)
		if apiErr != nil || id == "" || it != nil && !it.Reference() {
			return it, apiErr
		}
		lost[id] = true
		content, _ := json.Marshal("[item_reference " + id + ": no longer recorded]")
		return &responses.Item{Role: "user", Content: content}, nil
	}
}

// inputItemsOf is a request's input as items: a string input is one user
// message.
func inputItemsOf(input json.RawMessage) []json.RawMessage {
	if text, ok := jsonscan.StringValue(input); ok {
		item, _ := json.Marshal(map[string]string{"role": "user", "content": text})
		return []json.RawMessage{item}
	}
	var items []json.RawMessage
	_ = json.Unmarshal(input, &items)
	return items
}

// replayed is what a new chat is told for the turn: its messages, after
// the earlier turns a previous_response_id (or a conversation) stands for;
// the error of a database that could not give them.
func (t *turnSpec) replayed(ctx context.Context) ([]qp.Message, error) {
	if t.earlier == nil {
		return t.messages, nil
	}
	earlier, err := t.earlier(ctx)
	if err != nil {
		return nil, err
	}
	return withEarlier(t.messages, earlier), nil
}

// withEarlier puts earlier before the messages of a turn, after their
// leading system messages (the instructions): a system or developer
// message of the turn's input (Continued) comes after earlier, told with
// its turn (until 2026-12-06 it joined the new chat's system prompt).
func withEarlier(messages, earlier []qp.Message) []qp.Message {
	if len(earlier) == 0 {
		return messages
	}
	n := 0
	for n < len(messages) && (messages[n].Role == "system" || messages[n].Role == "developer") && !messages[n].Continued {
		n++
	}
	out := make([]qp.Message, 0, len(messages)+len(earlier))
	out = append(append(append(out, messages[:n]...), earlier...), messages[n:]...)
	return out
}
