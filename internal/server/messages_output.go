package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	qp "qwenproxy"
	"qwenproxy/internal/anthropic"
	"qwenproxy/internal/httpjson"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/translate"
)

// messagesFormat answers Anthropic Messages calls: one message object, or
// its stream of events (message_start, ping, a content_block_start / _delta
// / _stop run per thinking, text and tool_use block, message_delta with the
// stop reason and usage, message_stop).
type messagesFormat struct {
	// omitThinking sends thinking blocks without their text (thinking.display
	// "omitted"): an empty thinking field and the signature.
	omitThinking bool
	// dropThinking sends no thinking blocks: the client did not ask for
	// thinking, which a model that always thinks (and a guest's, left to
	// Qwen) does anyway. Anthropic sends none then, and an SDK user reads
	// the answer as content[0].text.
	dropThinking bool
	// compaction answers with the text as a compaction block, sent whole
	// (the SDK reads its one compaction_delta), stop_reason "compaction",
	// with toolChanges, the block's tool_changes.
	compaction  bool
	toolChanges json.RawMessage
	// searchBlocks shows Qwen's web searches as Anthropic's web search
	// server tool's blocks (server_tool_use, web_search_tool_result): the
	// request declared that tool.
	searchBlocks bool
}

func (f messagesFormat) open(c *call, t *turnSpec, start bool) output {
	o := &messagesOutput{c: c, optionalStream: optionalStream{streamWriter: streamWriter{call: c}, stream: t.stream}, id: "msg_" + strings.ReplaceAll(c.ex.Request.RequestID, "-", ""), model: t.answerModel(),
		omitThinking: f.omitThinking, dropThinking: f.dropThinking || f.compaction, compaction: f.compaction, toolChanges: f.toolChanges,
		searchBlocks: f.searchBlocks && !f.compaction,
		// tool_choice that demands a call is checked on the whole answer:
		// such streams are sent when it is complete.
		holding: t.checked() || f.compaction}
	if t.stream {
		c.events().setOpening(func() []byte {
			usage := anthropic.NewUsage(o.inputTokens, 0, 0)
			usage.CacheReadInputTokens = o.cachedTokens
			return append(anthropic.MessageStart(o.id, o.model, usage), anthropic.Ping()...)
		})
		c.events().setKeepAlive(anthropic.Ping()) // Anthropic's keep-alive is a ping event
		if start {
			o.start()
		}
	}
	return o
}

// messagesOutput writes the answer as Anthropic content blocks.
type messagesOutput struct {
	transcript
	optionalStream
	c         *call
	id, model string
	holding   bool   // stream: send text and calls only at finish
	streaming string // the id of the call whose input is streaming
	open      string // the type of the block being streamed, "" for none
	index     int    // the index of the open block, or of the next one
	// inputTokens is the prompt's token count for message_start, as far as
	// Qwen has told it when the stream opens (0 when it opens before), less
	// cachedTokens, those Qwen read from its cache (cache_read_input_tokens).
	inputTokens  int
	cachedTokens int
	omitThinking bool // see messagesFormat
	dropThinking bool // see messagesFormat
	compaction   bool // see messagesFormat
	toolChanges  json.RawMessage
	searchBlocks bool // see messagesFormat
	// searches are the answer's web searches so far (translate.Answer's);
	// searchesSent of them have had their server_tool_use block streamed,
	// resultsSent their web_search_tool_result block too.
	searches     []translate.Search
	searchesSent int
	resultsSent  int
}

// searching hears of the answer's web searches (translate.Answer's, all
// so far): each new one is streamed as a server_tool_use block (its query
// as the input) when Qwen calls its search, and its web_search_tool_result
// block once the answer goes on past it (flushSearch), with what it found.
// A stream held back whole sends them at its end, a body has them.
func (o *messagesOutput) searching(list []translate.Search) error {
	o.searches = list
	if !o.stream || !o.started || o.holding || !o.searchBlocks {
		return nil
	}
	for o.searchesSent < len(list) {
		o.flushSearch()
		o.writeSearchCall()
	}
	return o.err
}

// writeSearchCall sends the next search's server_tool_use block: opened
// with an empty input, the query as its one input_json_delta, as Anthropic
// streams one.
func (o *messagesOutput) writeSearchCall() {
	o.closeBlock()
	i := o.searchesSent
	o.searchesSent++
	call := anthropic.ServerToolUseBlock(o.searchID(i), o.searches[i].Query)
	_ = o.write(anthropic.BlockStart(o.index, anthropic.ContentBlock{Type: "server_tool_use", ID: call.ID, Name: call.Name}))
	_ = o.write(anthropic.InputJSONDelta(o.index, string(call.Input)))
	_ = o.write(anthropic.BlockStop(o.index))
	o.index++
}

// flushSearch sends the result blocks of the searches whose call was sent.
func (o *messagesOutput) flushSearch() {
	for o.resultsSent < o.searchesSent {
		o.closeBlock()
		i := o.resultsSent
		o.resultsSent++
		_ = o.write(anthropic.BlockStart(o.index, o.searchResult(i)))
		_ = o.write(anthropic.BlockStop(o.index))
		o.index++
	}
}

// writeSearches sends every search not sent yet, its call and its result.
func (o *messagesOutput) writeSearches(list []translate.Search) {
	if !o.searchBlocks {
		return
	}
	o.searches = list
	for o.searchesSent < len(list) {
		o.writeSearchCall()
	}
	o.flushSearch()
}

// searchID is search i's server_tool_use id.
func (o *messagesOutput) searchID(i int) string {
	return "srvtoolu_" + strings.TrimPrefix(o.id, "msg_") + strconv.Itoa(i)
}

// searchResult is search i's web_search_tool_result block.
func (o *messagesOutput) searchResult(i int) anthropic.ContentBlock {
	var pages []anthropic.WebSearchResult
	for _, s := range o.searches[i].Sources {
		pages = append(pages, anthropic.WebSearchResult{Type: "web_search_result", URL: s.URL, Title: s.Title})
	}
	return anthropic.WebSearchToolResultBlock(o.searchID(i), pages)
}

func (o *messagesOutput) promptTokens(u openai.Usage) {
	o.inputTokens, o.cachedTokens = uncachedInput(u)
}

// uncachedInput splits a usage's prompt tokens as Anthropic counts them:
// input_tokens leave out what was read from the cache, which
// cache_read_input_tokens counts.
func uncachedInput(u openai.Usage) (input, cached int) {
	if u.PromptTokensDetails != nil {
		cached = min(max(u.PromptTokensDetails.CachedTokens, 0), u.PromptTokens)
	}
	return u.PromptTokens - cached, cached
}

// block makes typ the open block, closing another one first.
func (o *messagesOutput) block(typ string, shell anthropic.ContentBlock) error {
	if o.open == typ {
		return nil
	}
	o.closeBlock()
	o.open = typ
	return o.write(anthropic.BlockStart(o.index, shell))
}

func (o *messagesOutput) closeBlock() {
	switch o.open {
	case "":
		return
	case "thinking":
		_ = o.write(anthropic.SignatureDelta(o.index))
	}
	_ = o.write(anthropic.BlockStop(o.index))
	o.open = ""
	o.index++
}

func (o *messagesOutput) keepDelivered() { o.keepSent(o.stream, !o.holding) }

func (o *messagesOutput) content(s string) error {
	o.text.WriteString(s)
	if !o.started || o.holding {
		return nil
	}
	o.flushSearch()
	if err := o.block("text", anthropic.ContentBlock{Type: "text"}); err != nil {
		return err
	}
	return o.write(anthropic.TextDelta(o.index, s))
}

func (o *messagesOutput) reasoning(s string) error {
	s = o.reasoningPiece(s)
	if !o.started || o.dropThinking {
		return nil
	}
	o.flushSearch()
	if err := o.block("thinking", anthropic.ContentBlock{Type: "thinking"}); err != nil || o.omitThinking {
		return err
	}
	return o.write(anthropic.ThinkingDelta(o.index, s))
}

func (o *messagesOutput) toolCalls(calls []qp.ToolCall) error {
	closeStreamed := func(c qp.ToolCall) {
		// Its block is open and its input sent: close it. The transcript
		// keeps the parsed input, as a client resends it.
		o.callList[len(o.callList)-1].Arguments = c.Arguments
		o.closeBlock()
	}
	if err := o.takeCalls(calls, &o.streaming, closeStreamed, o.started && !o.holding, o.writeCalls); err != nil {
		return err
	}
	return o.err
}

// toolCallStart opens the call's tool_use block as soon as its block is
// confirmed a call; its input follows as input_json_delta pieces.
func (o *messagesOutput) toolCallStart(c qp.ToolCall) error {
	if !o.started || o.holding {
		return nil
	}
	o.streaming = c.ID
	o.callList = append(o.callList, qp.ToolCall{ID: c.ID, Name: c.Name})
	o.noteCalls()
	o.flushSearch()
	if err := o.block("tool_use", anthropic.ContentBlock{Type: "tool_use", ID: anthropic.ToolUseID(c.ID), Name: c.Name}); err != nil {
		return err
	}
	return nil
}

// toolCallArguments sends the next piece of the started call's input.
func (o *messagesOutput) toolCallArguments(id, piece string) error {
	if id == "" || id != o.streaming {
		return nil
	}
	o.callList[len(o.callList)-1].Arguments += piece
	return o.write(anthropic.InputJSONDelta(o.index, piece))
}

// writeCalls sends the calls from first on, each a tool_use block of its own
// whose input arrives as one input_json_delta.
func (o *messagesOutput) writeCalls(first int) error {
	for _, c := range o.callList[first:] {
		o.writeCall(c)
	}
	return o.err
}

// writeCall sends c as a tool_use block after the open one.
func (o *messagesOutput) writeCall(c qp.ToolCall) {
	o.flushSearch()
	o.closeBlock()
	_ = o.write(anthropic.BlockStart(o.index, anthropic.ContentBlock{Type: "tool_use", ID: anthropic.ToolUseID(c.ID), Name: c.Name}))
	_ = o.write(anthropic.InputJSONDelta(o.index, c.Arguments))
	_ = o.write(anthropic.BlockStop(o.index))
	o.index++
}

// sourcesAsText: the Messages API has no url citations; a searching
// answer's sources go in its text (citeSources).
func (o *messagesOutput) sourcesAsText() bool { return true }

func (o *messagesOutput) finish(ans *translate.Answer, finishReason string) []byte {
	body := o.body(ans, finishReason)
	if finishReason == "" {
		return body
	}
	if !o.stream {
		o.c.wrote = true
		o.c.ex.Response.HTTPStatus = http.StatusOK
		writeBody(o.c.w, http.StatusOK, body)
		return body
	}
	if o.compaction {
		_ = o.write(anthropic.BlockStart(o.index, anthropic.ContentBlock{Type: "compaction", ToolChanges: o.toolChanges}))
		_ = o.write(anthropic.CompactionDelta(o.index, o.contentText()))
		o.open = "compaction"
	} else if o.holding { // its searches, then its text and calls in the order they came
		o.writeSearches(ans.Searches())
		for i, piece := range o.textAround(true) {
			if piece != "" {
				_ = o.block("text", anthropic.ContentBlock{Type: "text"})
				_ = o.write(anthropic.TextDelta(o.index, piece))
			}
			if i < len(o.callList) {
				o.writeCall(o.callList[i])
			}
		}
	}
	o.flushSearch()
	o.closeBlock()
	reason, seq := stopReason(ans, finishReason)
	if o.compaction {
		reason, seq = "compaction", nil
	}
	_ = o.write(anthropic.MessageDelta(reason, seq, o.usage(ans)))
	_ = o.write(anthropic.MessageStop())
	o.flush()
	return body
}

// body is the answer as one message object: what a non-streamed call gets,
// and what a streamed one's events add up to (its text exactly as sent).
func (o *messagesOutput) body(ans *translate.Answer, finishReason string) []byte {
	msg := anthropic.Response{ID: o.id, Type: "message", Role: "assistant", Model: o.model, Content: []anthropic.ContentBlock{}, Usage: o.usage(ans)}
	if r := o.reasoned.String(); r != "" && !o.dropThinking {
		if o.omitThinking {
			r = ""
		}
		msg.Content = append(msg.Content, anthropic.ThinkingBlock(r))
	}
	if o.searchBlocks && !o.withheld { // a failed answer's searches were not sent with it
		o.searches = ans.Searches()
		for i, search := range o.searches {
			msg.Content = append(msg.Content, anthropic.ServerToolUseBlock(o.searchID(i), search.Query), o.searchResult(i))
		}
	}
	text := o.contentText()
	if o.stream && !o.holding {
		text = o.text.String()
	}
	if o.compaction {
		// The summary alone: no call of the summary turn is the client's
		// to run.
		msg.Content = append(msg.Content[:0], anthropic.CompactionBlock(text, o.toolChanges))
		if finishReason != "" {
			reason := "compaction"
			msg.StopReason = &reason
		}
		b, _ := httpjson.Marshal(msg)
		return b
	}
	// No text, no block: an answer a stop sequence ended before its first
	// character is "content": [] (beside its thinking), as Anthropic sends
	// it and as the stream sent it (no block opened); an empty text block
	// is one Anthropic refuses when the conversation is sent back.
	// The text and calls come in the order the model wrote them, as the
	// stream sends them: text after a call is a text block after it.
	for i, piece := range o.textAround(!o.stream || o.holding) {
		if piece != "" {
			msg.Content = append(msg.Content, anthropic.TextBlock(piece))
		}
		if i < len(o.callList) {
			msg.Content = append(msg.Content, anthropic.ToolUseBlock(o.callList[i]))
		}
	}
	if finishReason != "" {
		reason, seq := stopReason(ans, finishReason)
		msg.StopReason, msg.StopSequence = &reason, seq
	}
	// Without HTML escaping: a call's input (raw JSON) keeps its "<", ">"
	// and "&" as the model gave them, as Anthropic's answers do.
	b, _ := httpjson.Marshal(msg) // strings, numbers and valid JSON: cannot fail
	return b
}

// stopReason is the answer's stop_reason, and its stop_sequence when one of
// the request's stop_sequences ended it.
func stopReason(ans *translate.Answer, finishReason string) (string, *string) {
	if ans.StopSequence != "" && finishReason == qp.FinishStop {
		seq := ans.StopSequence
		return "stop_sequence", &seq
	}
	return anthropic.StopReason(finishReason), nil
}

// usage is the answer's usage, with the output tokens spent thinking when
// the client gets the thinking (a model that thinks unasked, whose thinking
// is not sent, reports none: it was not the client's ask).
func (o *messagesOutput) usage(ans *translate.Answer) anthropic.Usage {
	u := ans.Usage()
	var thinking int
	if u.CompletionTokensDetails != nil && !o.dropThinking {
		thinking = u.CompletionTokensDetails.ReasoningTokens
	}
	input, cached := uncachedInput(u)
	usage := anthropic.NewUsage(input, u.CompletionTokens, thinking)
	usage.CacheReadInputTokens = cached
	if n := len(ans.Searches()); n > 0 {
		usage.ServerToolUse = &anthropic.ServerToolUsage{WebSearchRequests: n}
	}
	return usage
}

// fail sends the error as an error event once the stream is open; before
// that it is an HTTP error in Anthropic's envelope.
func (o *messagesOutput) fail(f failure) {
	f = o.c.fail(f)
	if !o.stream || !o.c.events().isOpen() || f.api.Status == statusClientClosed {
		return
	}
	_ = o.write(anthropic.ErrorEvent(f.api))
	o.flush()
}
