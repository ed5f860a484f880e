package server

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	qp "qwenproxy"
	"qwenproxy/internal/responses"
	"qwenproxy/internal/tools"
	"qwenproxy/internal/translate"
)

// responsesFormat answers Responses API calls: one response object, or the
// semantic event stream (response.created, response.in_progress, per output
// item output_item.added … output_item.done with its part and delta events,
// response.completed; a failure after the start as response.failed).
type responsesFormat struct {
	// shell is the response object without its id, status, output and
	// usage: the request's settings, echoed as OpenAI does.
	shell responses.Response
	// noSummary leaves the reasoning out of the output (reasoning.summary
	// "none"): no reasoning item, no summary events.
	noSummary bool
	// now is the server's clock, for a completed response's completed_at.
	now func() time.Time
	// sources: the request's include asks for
	// web_search_call.action.sources.
	sources bool
	// imageCall answers the turn's image (an -image or -image-edit turn,
	// or a forced image_generation tool, with that tool declared) as the
	// image generation tool's image_generation_call item, its result the
	// image's bytes, fetched from Qwen's URL by fetch.
	imageCall bool
	fetch     func(ctx context.Context, url string) ([]byte, error)
	// compaction answers POST /v1/responses/compact: the compacted
	// response object, the summary as its compaction item (see
	// compactResponses).
	compaction *compaction
}

func (f responsesFormat) open(c *call, t *turnSpec, start bool) output {
	r := f.shell
	r.Object, r.CreatedAt, r.Model, r.Status = "response", c.ex.Request.Timestamp.Unix(), t.answerModel(), "in_progress"
	r.Output = []responses.OutputItem{}
	o := &responsesOutput{c: c, optionalStream: optionalStream{streamWriter: streamWriter{call: c}, stream: t.stream}, resp: r, hex: strings.ReplaceAll(c.ex.Request.RequestID, "-", ""), tools: t.tools,
		// tool_choice that demands a call is checked on the whole answer:
		// such streams are sent when it is complete.
		holding: t.checked(), noSummary: f.noSummary || f.imageCall, now: f.now, withSources: f.sources, imageCall: f.imageCall, fetch: f.fetch, compaction: f.compaction}
	// Served in progress from here, before its id goes out (the stream's
	// opening, or the body), until the call ends.
	o.live(f)
	if t.stream {
		c.events().setOpening(func() []byte {
			o.named()
			b := append(o.events.Response("response.created", &o.resp), o.events.Response("response.in_progress", &o.resp)...)
			if o.imageCall {
				// The image is under way from the start: its item opens
				// with the stream, as OpenAI's image_generation_call does.
				o.open = "image_generation_call"
				id := o.itemID(0)
				b = append(b, o.events.ItemAdded(0, responses.ImageGenerationCall(id, "in_progress", nil))...)
				b = append(b, o.events.Part("response.image_generation_call.in_progress", id, 0, map[string]any{})...)
				b = append(b, o.events.Part("response.image_generation_call.generating", id, 0, map[string]any{})...)
			}
			return b
		})
		if start {
			o.start()
		}
	}
	return o
}

// responsesOutput writes the answer as Responses output items.
type responsesOutput struct {
	transcript
	optionalStream
	c         *call
	resp      responses.Response
	hex       string // the request id, for item ids
	holding   bool
	events    responses.Events
	streaming string                 // the id of the call whose arguments are streaming
	open      string                 // the streamed item's type: "", "reasoning" or "message"
	current   translate.Text         // the streamed item's text
	cites     []responses.Annotation // the last message item's citations, set at finish
	tools     *tools.Set             // the request's, for the namespace of a call
	noSummary bool                   // see responsesFormat
	now       func() time.Time       // see responsesFormat
	// searches are the answer's web searches so far (translate.Answer's),
	// searchesSent how many of them have a web_search_call item streamed.
	searches     []translate.Search
	searchesSent int
	withSources  bool // see responsesFormat.sources
	imageCall    bool // see responsesFormat
	fetch        func(ctx context.Context, url string) ([]byte, error)
	compaction   *compaction // see responsesFormat
	image        []byte      // the image of an imageCall answer, once fetched
	imageURL     string      // Qwen's URL of it
}

// fetchImage fetches the image of an imageCall answer, after Qwen gave its
// URL: the image_generation_call item carries its bytes.
func (o *responsesOutput) fetchImage(ctx context.Context, ans *translate.Answer) error {
	if !o.imageCall {
		return nil
	}
	if ans.Image() == "" {
		return ans.NoImage()
	}
	data, err := o.fetch(ctx, ans.Image())
	o.image, o.imageURL = data, ans.Image()
	return err
}

// imageItem is the answer's image_generation_call item: with the image as
// base64, or, record, with a reference to it, "[image 84 bytes: <Qwen's
// URL>]" (the record keeps the image's size and URL, not its bytes, as an
// image generation's).
func (o *responsesOutput) imageItem(id, status string, record bool) responses.OutputItem {
	if o.image == nil {
		return responses.ImageGenerationCall(id, status, nil)
	}
	result := base64.StdEncoding.EncodeToString(o.image)
	if record {
		result = fmt.Sprintf("[image %d bytes: %s]", len(o.image), o.imageURL)
	}
	return responses.ImageGenerationCall(id, status, &result)
}

// recorded is the response as the record keeps it: an image's bytes as
// their size.
func (o *responsesOutput) recorded(r *responses.Response) []byte {
	if o.image == nil {
		return marshalResponse(r)
	}
	kept := *r
	kept.Output = slices.Clone(r.Output)
	for i, item := range kept.Output {
		if item.Type == "image_generation_call" {
			kept.Output[i] = o.imageItem(item.ID, item.Status, true)
		}
	}
	return marshalResponse(&kept)
}

// callItem is a call's function_call item, or a custom call's
// custom_tool_call item with its input, with the namespace of a tool a
// namespace tool declared (Codex finds its sub-agent tools by namespace and
// name).
func (o *responsesOutput) callItem(id, status string, c qp.ToolCall, arguments string) responses.OutputItem {
	if c.Incomplete && status == "completed" {
		status = "incomplete" // cut inside it at max_output_tokens: not a call to run
	}
	item := responses.FunctionCall(id, status, c, arguments)
	if c.Custom {
		item = responses.CustomToolCall(id, status, c, tools.CustomInput(arguments))
	}
	if o.tools != nil {
		if t, ok := o.tools.Lookup(c.Name); ok {
			item.Namespace = t.Namespace
		}
	}
	return item
}

// named gives the response its id, once: when its stream opens, or when
// its body is made. The id carries the call's session when it is known by
// then (see responseID).
func (o *responsesOutput) named() {
	if o.resp.ID == "" {
		o.resp.ID = responseID(o.c.ex.Request.RequestID, o.c.ex.Request.SessionID)
		o.liveNamed()
	}
}

// item makes typ the streamed item, closing another one first.
func (o *responsesOutput) item(typ string) {
	if o.open == typ {
		return
	}
	o.closeItem("completed")
	o.open = typ
	index := len(o.resp.Output)
	id := o.itemID(index)
	if typ == "reasoning" {
		_ = o.write(o.events.ItemAdded(index, responses.Reasoning(id, "")))
		_ = o.write(o.events.Part("response.reasoning_summary_part.added", id, index,
			map[string]any{"summary_index": 0, "part": responses.ContentPart{Type: "summary_text"}}))
		return
	}
	_ = o.write(o.events.ItemAdded(index, responses.Message(id, "in_progress", nil)))
	_ = o.write(o.events.Part("response.content_part.added", id, index, map[string]any{"content_index": 0, "part": responses.OutputText("")}))
}

func (o *responsesOutput) itemID(index int) string {
	prefix := map[string]string{"reasoning": "rs", "message": "msg", "function_call": "fc", "web_search_call": "ws", "image_generation_call": "ig"}[o.open]
	return responses.ID(prefix, o.hex, index)
}

// closeItem ends the streamed item and adds it to the output.
func (o *responsesOutput) closeItem(status string) {
	if o.open == "" {
		return
	}
	index := len(o.resp.Output)
	id, text := o.itemID(index), o.current.String()
	var done responses.OutputItem
	if o.open == "image_generation_call" {
		if status == "completed" && o.image != nil {
			_ = o.write(o.events.Part("response.image_generation_call.completed", id, index, map[string]any{}))
		} else {
			status = "failed"
		}
		done = o.imageItem(id, status, false)
	} else if o.open == "web_search_call" {
		search := o.searches[o.searchesSent-1]
		if status == "incomplete" && len(search.Sources) == 0 {
			status = "failed" // the answer broke off before the search found anything
		} else {
			status = "completed"
		}
		if status == "completed" {
			_ = o.write(o.events.Part("response.web_search_call.completed", id, index, map[string]any{}))
		}
		done = o.searchItem(id, status, search)
	} else if o.open == "reasoning" {
		_ = o.write(o.events.Part("response.reasoning_summary_text.done", id, index, map[string]any{"summary_index": 0, "text": text}))
		_ = o.write(o.events.Part("response.reasoning_summary_part.done", id, index,
			map[string]any{"summary_index": 0, "part": responses.ContentPart{Type: "summary_text", Text: text}}))
		done = responses.Reasoning(id, text)
	} else {
		// Each citation is announced before the text is done, as OpenAI's
		// stream does; the done events repeat them.
		for i, a := range o.cites {
			_ = o.write(o.events.Part("response.output_text.annotation.added", id, index,
				map[string]any{"content_index": 0, "annotation_index": i, "annotation": a}))
		}
		_ = o.write(o.events.Part("response.output_text.done", id, index, map[string]any{"content_index": 0, "text": text, "logprobs": []any{}}))
		_ = o.write(o.events.Part("response.content_part.done", id, index, map[string]any{"content_index": 0, "part": responses.OutputText(text, o.cites...)}))
		done = responses.Message(id, status, &text, o.cites...)
	}
	_ = o.write(o.events.ItemDone(index, done))
	o.resp.Output = append(o.resp.Output, done)
	o.liveItem(done)
	o.open = ""
	o.current.Reset()
}

// searching hears of the answer's web searches (translate.Answer's, all
// so far): each new one is streamed as a web_search_call item, opened
// (in_progress, searching) when Qwen calls its search and completed when
// the answer goes on past it, with what it found. A stream held back whole
// sends them at its end, a body has them (wholeItems).
func (o *responsesOutput) searching(list []translate.Search) error {
	o.searches = list
	if !o.stream || !o.started || o.holding {
		return nil
	}
	for o.searchesSent < len(list) {
		o.openSearch()
	}
	return o.err
}

// openSearch streams the next search's web_search_call item as searching,
// the open item (closeItem completes it).
func (o *responsesOutput) openSearch() {
	o.closeItem("completed")
	o.searchesSent++
	o.open = "web_search_call"
	index := len(o.resp.Output)
	id := o.itemID(index)
	_ = o.write(o.events.ItemAdded(index, o.searchItem(id, "in_progress", o.searches[o.searchesSent-1])))
	_ = o.write(o.events.Part("response.web_search_call.in_progress", id, index, map[string]any{}))
	_ = o.write(o.events.Part("response.web_search_call.searching", id, index, map[string]any{}))
}

// searchItem is search's web_search_call item, its sources given when the
// request's include asks for them (and the item is done).
func (o *responsesOutput) searchItem(id, status string, search translate.Search) responses.OutputItem {
	var sources *[]responses.SearchSource
	if o.withSources && status != "in_progress" {
		list := make([]responses.SearchSource, 0, len(search.Sources))
		for _, s := range search.Sources {
			list = append(list, responses.SearchSource{Type: "url", URL: s.URL})
		}
		sources = &list
	}
	return responses.WebSearchCall(id, status, search.Query, sources)
}

// writeSearches streams the searches not streamed yet, each whole.
func (o *responsesOutput) writeSearches() {
	for o.searchesSent < len(o.searches) {
		o.openSearch()
		o.closeItem("completed")
	}
}

// keepDelivered: a stream's record is what it sent (asCut); a body sent
// whole that failed had none of its items sent.
func (o *responsesOutput) keepDelivered() { o.keepSent(o.stream, !o.holding) }

func (o *responsesOutput) content(s string) error {
	if o.imageCall {
		// The image's Markdown: the item is the answer, told to the
		// model (and keyed) as one.
		o.text.Reset()
		o.text.WriteString(responses.ImageCallText)
		return nil
	}
	o.text.WriteString(s)
	if !o.started || o.holding {
		return nil
	}
	return o.sendText(s)
}

// sendText sends s as the next delta of the message item, opening it.
func (o *responsesOutput) sendText(s string) error {
	o.item("message")
	o.current.WriteString(s)
	id, index := o.itemID(len(o.resp.Output)), len(o.resp.Output)
	return o.write(o.events.Part("response.output_text.delta", id, index, map[string]any{"content_index": 0, "delta": s, "logprobs": []any{}}))
}

func (o *responsesOutput) reasoning(s string) error {
	s = o.reasoningPiece(s)
	if !o.started || o.noSummary {
		return nil
	}
	o.item("reasoning")
	o.current.WriteString(s)
	id, index := o.itemID(len(o.resp.Output)), len(o.resp.Output)
	return o.write(o.events.Part("response.reasoning_summary_text.delta", id, index, map[string]any{"summary_index": 0, "delta": s}))
}

func (o *responsesOutput) toolCalls(calls []qp.ToolCall) error {
	if err := o.takeCalls(calls, &o.streaming, o.doneCall, o.started && !o.holding, o.writeCalls); err != nil {
		return err
	}
	return o.err
}

// toolCallStart adds the call's function_call item as soon as its block is
// confirmed a call; its arguments follow as deltas.
func (o *responsesOutput) toolCallStart(c qp.ToolCall) error {
	if !o.started || o.holding {
		return nil
	}
	o.closeItem("completed")
	o.streaming = c.ID
	o.callList = append(o.callList, qp.ToolCall{ID: c.ID, Name: c.Name})
	o.noteCalls()
	index := len(o.resp.Output)
	return o.write(o.events.ItemAdded(index, o.callItem(responses.ID("fc", o.hex, index), "in_progress", c, "")))
}

// toolCallArguments sends the next piece of the started call's arguments.
func (o *responsesOutput) toolCallArguments(id, piece string) error {
	if id == "" || id != o.streaming {
		return nil
	}
	o.callList[len(o.callList)-1].Arguments += piece
	index := len(o.resp.Output)
	return o.write(o.events.Part("response.function_call_arguments.delta", responses.ID("fc", o.hex, index), index, map[string]any{"delta": piece}))
}

// doneCall completes the streamed call: its item carries the arguments as
// sent; the transcript keeps the parsed ones, as a client resends them.
func (o *responsesOutput) doneCall(c qp.ToolCall) {
	last := &o.callList[len(o.callList)-1]
	sent := last.Arguments
	last.Arguments = c.Arguments
	index := len(o.resp.Output)
	id := responses.ID("fc", o.hex, index)
	_ = o.write(o.events.Part("response.function_call_arguments.done", id, index, map[string]any{"arguments": sent, "name": c.Name}))
	done := o.callItem(id, "completed", c, sent)
	_ = o.write(o.events.ItemDone(index, done))
	o.resp.Output = append(o.resp.Output, done)
	o.liveItem(done)
}

// writeCalls streams the calls from first on, each a function_call item
// whose arguments arrive as one delta, or a custom_tool_call item whose
// input does.
func (o *responsesOutput) writeCalls(first int) error {
	for _, c := range o.callList[first:] {
		o.writeCall(c)
	}
	return o.err
}

// writeCall streams c after the items sent so far, closing the open one.
func (o *responsesOutput) writeCall(c qp.ToolCall) {
	o.closeItem("completed")
	index := len(o.resp.Output)
	id := responses.ID(callPrefix(c), o.hex, index)
	_ = o.write(o.events.ItemAdded(index, o.callItem(id, "in_progress", c, "")))
	if c.Custom {
		input := tools.CustomInput(c.Arguments)
		_ = o.write(o.events.Part("response.custom_tool_call_input.delta", id, index, map[string]any{"delta": input}))
		_ = o.write(o.events.Part("response.custom_tool_call_input.done", id, index, map[string]any{"input": input}))
	} else {
		_ = o.write(o.events.Part("response.function_call_arguments.delta", id, index, map[string]any{"delta": c.Arguments}))
		_ = o.write(o.events.Part("response.function_call_arguments.done", id, index, map[string]any{"arguments": c.Arguments, "name": c.Name}))
	}
	done := o.callItem(id, "completed", c, c.Arguments)
	_ = o.write(o.events.ItemDone(index, done))
	o.resp.Output = append(o.resp.Output, done)
	o.liveItem(done)
}

// writeHeld streams an answer held back whole: its text and calls in the
// order they came, the last message item left open (for its citations).
func (o *responsesOutput) writeHeld() {
	pieces := o.textAround(true)
	for i, piece := range pieces {
		if piece != "" {
			_ = o.sendText(piece)
		}
		if i < len(o.callList) {
			o.writeCall(o.callList[i])
		}
	}
}

func (o *responsesOutput) finish(ans *translate.Answer, finishReason string) []byte {
	if finishReason == "" {
		// fail follows: the record it makes keeps the usage too.
		o.resp.Usage = responseUsage(ans)
		return o.body(ans, "failed", nil)
	}
	if o.compaction != nil {
		o.named()
		body := o.compaction.body(o.resp.ID, o.resp.CreatedAt, o.hex, o.contentText(), responseUsage(ans))
		o.c.wrote = true
		o.c.ex.Response.HTTPStatus = http.StatusOK
		writeBody(o.c.w, http.StatusOK, body)
		return body
	}
	status := "completed"
	if finishReason == qp.FinishLength {
		status = "incomplete" // cut at max_output_tokens
	}
	if !o.stream {
		body := o.body(ans, status, nil)
		o.c.wrote = true
		o.c.ex.Response.HTTPStatus = http.StatusOK
		writeBody(o.c.w, http.StatusOK, body)
		if o.image != nil {
			r := o.response(ans, "completed", nil)
			return o.recorded(&r)
		}
		return body
	}
	if o.holding { // checked whole: each piece of text goes out as one delta
		o.searches = ans.Searches()
		o.writeSearches()
		o.writeHeld()
	}
	if o.open == "message" {
		// The sources are cited in the last message item's text: set
		// before it is closed.
		o.cites = responseCitations(ans, utf8.RuneCountInString(o.contentText())-utf8.RuneCountInString(o.current.String()))
	} else {
		o.citeSent(ans)
	}
	o.closeItem(status)
	o.named()
	o.resp.Status, o.resp.Usage = status, responseUsage(ans)
	if status == "completed" {
		o.resp.CompletedAt = o.completedAt()
	} else {
		o.resp.IncompleteDetails = maxOutputTokens
	}
	_ = o.write(o.events.Response("response."+status, &o.resp))
	o.flush()
	return o.recorded(&o.resp)
}

// completedAt is the completed_at of a response completed now.
func (o *responsesOutput) completedAt() *int64 {
	at := o.now().Unix()
	return &at
}

// citeSent cites the sources in the last message item when it was sent
// whole before them (the answer ended with calls, and the sources are
// annotations alone): announced after it, and in its text part, so that
// the response has them as one sent whole does.
func (o *responsesOutput) citeSent(ans *translate.Answer) {
	if len(ans.Citations) == 0 {
		return
	}
	for index := len(o.resp.Output) - 1; index >= 0; index-- {
		item := &o.resp.Output[index]
		if item.Type != "message" || item.Content == nil || len(*item.Content) == 0 {
			continue
		}
		part := &(*item.Content)[0]
		cites := responseCitations(ans, utf8.RuneCountInString(o.contentText())-utf8.RuneCountInString(part.Text))
		if len(cites) == 0 {
			return
		}
		for i, a := range cites {
			_ = o.write(o.events.Part("response.output_text.annotation.added", item.ID, index,
				map[string]any{"content_index": 0, "annotation_index": i, "annotation": a}))
		}
		part.Annotations = &cites
		return
	}
}

// body is the response object: for a non-streamed call assembled from the
// answer, for a streamed one the items as they were sent.
func (o *responsesOutput) body(ans *translate.Answer, status string, fail *responses.Error) []byte {
	r := o.response(ans, status, fail)
	if status == "failed" {
		return o.recorded(&r) // for the record only
	}
	return marshalResponse(&r)
}

// response is the response object body makes.
func (o *responsesOutput) response(ans *translate.Answer, status string, fail *responses.Error) responses.Response {
	o.named()
	r := o.resp
	r.Status, r.Usage, r.Error = status, responseUsage(ans), fail
	switch status {
	case "completed":
		r.CompletedAt = o.completedAt()
	case "incomplete":
		r.IncompleteDetails = maxOutputTokens
	}
	if !o.stream {
		r.Output = []responses.OutputItem{}
		if o.withheld {
			return r // failed, sent none of it (keepDelivered)
		}
		if reasoned := o.reasoned.String(); reasoned != "" && !o.noSummary {
			r.Output = append(r.Output, responses.Reasoning(responses.ID("rs", o.hex, len(r.Output)), reasoned))
		}
		for _, search := range ans.Searches() {
			r.Output = append(r.Output, o.searchItem(responses.ID("ws", o.hex, len(r.Output)), "completed", search))
		}
		if o.imageCall {
			status := "completed"
			if o.image == nil {
				status = "failed"
			}
			r.Output = append(r.Output, o.imageItem(responses.ID("ig", o.hex, len(r.Output)), status, false))
			return r
		}
		r.Output = o.wholeItems(r.Output, ans, status)
	}
	return r
}

// maxOutputTokens is the incomplete_details of a response cut at
// max_output_tokens.
var maxOutputTokens = &responses.IncompleteDetails{Reason: "max_output_tokens"}

// wholeItems appends an answer's message and call items to out in the
// order they came, as its stream sends them: the text before a call, the
// call, the text after it. The sources are cited in the last message item.
func (o *responsesOutput) wholeItems(out []responses.OutputItem, ans *translate.Answer, status string) []responses.OutputItem {
	pieces := o.textAround(true)
	last := -1 // the piece of the last message item
	for i, piece := range pieces {
		if piece != "" || len(o.callList) == 0 {
			last = i
		}
	}
	before := 0 // the code points of the text before the piece
	for i, piece := range pieces {
		if piece != "" || i == last && status != "incomplete" { // a response cut while it thought has no message
			var cites []responses.Annotation
			if i == last {
				cites = responseCitations(ans, before)
			}
			itemStatus := "completed"
			if i == len(pieces)-1 && status == "incomplete" {
				itemStatus = status // the text the cut ended
			}
			out = append(out, responses.Message(responses.ID("msg", o.hex, len(out)), itemStatus, &piece, cites...))
		}
		before += utf8.RuneCountInString(piece)
		if i < len(o.callList) {
			c := o.callList[i]
			out = append(out, o.callItem(responses.ID(callPrefix(c), o.hex, len(out)), "completed", c, c.Arguments))
		}
	}
	return out
}

// responseCitations are the answer's citations as url_citation annotations
// of a message item whose text starts offset code points into the answer.
func responseCitations(ans *translate.Answer, offset int) []responses.Annotation {
	var out []responses.Annotation
	for _, c := range ans.Citations {
		if c.Start < offset {
			continue
		}
		out = append(out, responses.Annotation{Type: "url_citation", StartIndex: c.Start - offset, EndIndex: c.End - offset, Title: c.Title, URL: c.URL})
	}
	return out
}

func responseUsage(ans *translate.Answer) *responses.Usage {
	u := ans.Usage()
	r := &responses.Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	if d := u.CompletionTokensDetails; d != nil {
		r.OutputTokensDetails.ReasoningTokens = d.ReasoningTokens
	}
	if d := u.PromptTokensDetails; d != nil {
		r.InputTokensDetails.CachedTokens = d.CachedTokens
	}
	return r
}

// fail sends response.failed once the stream is open; before that it is an
// HTTP error in OpenAI's envelope. Either way the record keeps the answer
// as the client had it when it broke off (see asCut), also when the client
// itself left (an agent interrupted mid-answer), which is sent nothing more.
func (o *responsesOutput) fail(f failure) {
	f = o.c.fail(f)
	if !o.stream || !o.c.events().isOpen() {
		return
	}
	o.resp.Status, o.resp.Error = "failed", &responses.Error{Code: f.api.Code, Message: f.api.SentMessage()}
	closed := f.api.Status == statusClientClosed // sent nothing more
	if !closed && o.open != "message" && o.open != "reasoning" {
		// A search or an image the answer broke off in ends as failed (or
		// completed, a search that found its pages). The text the answer
		// broke off in is never sent done, as a call cut short is not: a
		// client keeps an item sent done as a finished part of the
		// conversation, and Codex, retrying the turn, resent the fragment
		// as the assistant's last message, a prefill the retried answer
		// went on from. response.failed carries it, incomplete.
		o.closeItem("incomplete")
	}
	cut := o.asCut()
	if !closed {
		_ = o.write(o.events.Response("response.failed", cut))
		o.flush()
	}
	o.c.ex.Response.OpenAIResponse = marshalResponse(cut)
}

// asCut is the response as its stream had told the client when the answer
// broke off: the items it was sent whole, then the one it was sent in part,
// incomplete — a message's or reasoning's text so far, or a call's arguments
// so far (its function_call item was added and its arguments were
// streaming; the client is not sent it done, as it must not run a call cut
// short).
func (o *responsesOutput) asCut() *responses.Response {
	r := o.resp
	r.Output = slices.Clone(o.resp.Output)
	id := o.itemID(len(r.Output))
	switch text := o.current.String(); o.open {
	case "image_generation_call":
		r.Output = append(r.Output, o.imageItem(id, "in_progress", true))
	case "web_search_call":
		r.Output = append(r.Output, o.searchItem(id, "in_progress", o.searches[o.searchesSent-1]))
	case "reasoning":
		r.Output = append(r.Output, responses.Reasoning(id, text))
	case "message":
		r.Output = append(r.Output, responses.Message(id, "incomplete", &text))
	}
	if o.streaming != "" && len(o.callList) > 0 {
		c := o.callList[len(o.callList)-1]
		r.Output = append(r.Output, o.callItem(responses.ID("fc", o.hex, len(r.Output)), "incomplete", c, c.Arguments))
	}
	return &r
}

// callPrefix is a call item's id prefix: fc for a function call, ctc for a
// custom tool call, as OpenAI names them.
func callPrefix(c qp.ToolCall) string {
	if c.Custom {
		return "ctc"
	}
	return "fc"
}
