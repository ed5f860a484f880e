package server

import (
	"encoding/json"
	"net/http"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/tools"
	"qwenproxy/internal/translate"
)

// chatFormat answers Chat Completions (and legacy completion) calls: chunks
// or one JSON body, in OpenAI's envelope.
type chatFormat struct {
	legacy       bool // POST /v1/completions
	includeUsage bool // stream_options.include_usage
	// functions answers in the legacy functions shape: one call, as
	// message.function_call, finish_reason "function_call".
	functions bool
}

func (f chatFormat) open(c *call, t *turnSpec, start bool) output {
	prefix := "chatcmpl-"
	if f.legacy {
		prefix = "cmpl-"
	}
	b := bufferedOutput{c: c, legacy: f.legacy, functions: f.functions, id: prefix + c.ex.Request.RequestID, model: t.answerModel(), created: c.ex.Request.Timestamp.Unix()}
	if !t.stream {
		return &b
	}
	enc := openai.NewChatChunkEncoder(b.id, b.model, b.created)
	if f.legacy {
		enc = openai.NewTextChunkEncoder(b.id, b.model, b.created)
	}
	if f.includeUsage {
		enc.IncludeUsage()
	}
	c.events().setOpening(enc.Role)
	o := &streamOutput{bufferedOutput: b, streamWriter: streamWriter{call: c}, enc: enc, includeUsage: f.includeUsage,
		// tool_choice that demands a call, and response_format, can only
		// be checked on the whole answer: such streams are sent when the
		// answer is complete.
		holding: t.checked()}
	o.sentRaw = !o.holding
	if start {
		o.start()
	}
	return o
}

// bufferedOutput answers with one JSON body at the end.
type bufferedOutput struct {
	transcript
	c         *call
	legacy    bool
	functions bool
	// sentRaw is set when the text went out as it arrived (a stream not
	// held back): the recorded body then keeps it exactly so.
	sentRaw bool
	id      string
	model   string
	created int64
}

func (o *bufferedOutput) content(s string) error   { o.text.WriteString(s); return nil }
func (o *bufferedOutput) keepDelivered()           { o.keepSent(false, false) }
func (o *bufferedOutput) reasoning(s string) error { o.reasoningPiece(s); return nil }
func (o *bufferedOutput) flush()                   {}
func (o *bufferedOutput) start()                   {}
func (o *bufferedOutput) fail(f failure)           { o.c.fail(f) }

func (o *bufferedOutput) toolCalls(calls []qp.ToolCall) error {
	o.callList = append(o.callList, calls...) // one at most when the turn allows one (turnSpec.oneCall)
	return nil
}

// finishReason says the core's reason in Chat Completions' words.
func (o *bufferedOutput) finishReason(reason string) string {
	if o.functions && reason == qp.FinishToolCalls {
		return "function_call"
	}
	return reason
}

func (o *bufferedOutput) finish(ans *translate.Answer, finishReason string) []byte {
	body := o.body(ans, finishReason)
	if finishReason != "" {
		o.c.wrote = true
		o.c.ex.Response.HTTPStatus = http.StatusOK
		writeBody(o.c.w, http.StatusOK, body)
	}
	return body
}

func (o *bufferedOutput) body(ans *translate.Answer, finishReason string) []byte {
	// Its member names are openai.ChatCompletion's or TextCompletion's; a
	// tool call brings the model's arguments (chatAnswerMembers).
	o.c.ownKeyedAnswer = len(o.callList) == 0
	text := o.contentText()
	if o.sentRaw {
		text = o.text.String()
	}
	var fr *string
	if finishReason != "" {
		finishReason = o.finishReason(finishReason)
		fr = &finishReason
	}
	if o.legacy {
		b, _ := json.Marshal(&openai.TextCompletion{ID: o.id, Object: "text_completion", Created: o.created, Model: o.model, Usage: ans.Usage(),
			Choices: []openai.TextChoice{{Text: text, Logprobs: json.RawMessage("null"), FinishReason: fr}}}) // strings and numbers only: cannot fail
		return b
	}
	msg := openai.ResponseMessage{Role: "assistant", ReasoningContent: o.reasoned.String(), ToolCalls: openai.ToolCalls(o.callList)}
	if !o.withheld {
		msg.Annotations = annotations(ans) // a failed answer's sources were not sent with it
	}
	if o.functions && len(o.callList) > 0 {
		msg.FunctionCall = &openai.FunctionCall{Name: o.callList[0].Name, Arguments: o.callList[0].Arguments}
		msg.ToolCalls = nil
	}
	if text != "" || len(o.callList) == 0 {
		msg.Content = &text // null only when the answer is calls alone, as OpenAI sends it
	}
	v := &openai.ChatCompletion{ID: o.id, Object: "chat.completion", Created: o.created, Model: o.model, Usage: ans.Usage(),
		Choices: []openai.ChatChoice{{Message: msg, FinishReason: fr}}, ServiceTier: "default"}
	return v.Encode()
}

// sourcesAsText: legacy completions have no annotations; a searching
// answer's sources go in their text (citeSources).
func (o *bufferedOutput) sourcesAsText() bool { return o.legacy }

// streamOutput forwards the answer as server-sent events.
type streamOutput struct {
	bufferedOutput
	streamWriter
	enc          *openai.ChunkEncoder
	includeUsage bool
	holding      bool   // send content and calls only at finish
	streaming    string // the id of the call whose arguments are streaming
}

// start opens the stream with its role chunk (registered in open).
func (o *streamOutput) start() { o.openStream() }

func (o *streamOutput) keepDelivered() { o.keepSent(true, !o.holding) }

func (o *streamOutput) content(s string) error {
	o.text.WriteString(s)
	if o.holding {
		return nil
	}
	return o.write(o.enc.Content(s))
}

func (o *streamOutput) reasoning(s string) error {
	return o.write(o.enc.Reasoning(o.reasoningPiece(s)))
}

func (o *streamOutput) toolCalls(calls []qp.ToolCall) error {
	for _, c := range calls {
		if c.ID == o.streaming && c.ID != "" {
			// Sent already, name and arguments: the client has it as
			// streamed, and so does the transcript.
			o.streaming = ""
			continue
		}
		first := len(o.callList)
		o.callList = append(o.callList, c)
		if !o.holding {
			if err := o.writeCalls(first); err != nil {
				return err
			}
		}
	}
	return nil
}

// toolCallStart sends a call's id and name as soon as its block is
// confirmed a call (a held answer keeps it for the whole answer instead).
func (o *streamOutput) toolCallStart(c qp.ToolCall) error {
	if o.holding {
		return nil
	}
	o.streaming = c.ID
	o.callList = append(o.callList, qp.ToolCall{ID: c.ID, Name: c.Name})
	if o.functions {
		return o.write(o.enc.FunctionCall(c.Name, ""))
	}
	return o.write(o.enc.ToolCallStart(len(o.callList)-1, c.ID, c.Name))
}

// toolCallArguments sends the next piece of the started call's arguments.
func (o *streamOutput) toolCallArguments(id, piece string) error {
	if id != o.streaming || o.streaming == "" {
		return nil
	}
	i := len(o.callList) - 1
	o.callList[i].Arguments += piece
	if o.functions {
		return o.write(o.enc.FunctionCall("", piece))
	}
	return o.write(o.enc.ToolCallArguments(i, piece))
}

// writeCalls sends the calls from index first on: per call, its id and name,
// then its arguments.
func (o *streamOutput) writeCalls(first int) error {
	for i := first; i < len(o.callList); i++ {
		c := o.callList[i]
		if o.functions {
			if err := o.write(o.enc.FunctionCall(c.Name, c.Arguments)); err != nil {
				return err
			}
			continue
		}
		if c.Custom {
			if err := o.write(o.enc.CustomToolCall(i, c.ID, c.Name, tools.CustomInput(c.Arguments))); err != nil {
				return err
			}
			continue
		}
		if err := o.write(o.enc.ToolCallStart(i, c.ID, c.Name)); err != nil {
			return err
		}
		if err := o.write(o.enc.ToolCallArguments(i, c.Arguments)); err != nil {
			return err
		}
	}
	return nil
}

func (o *streamOutput) flush() { o.flushStream() }

func (o *streamOutput) finish(ans *translate.Answer, finishReason string) []byte {
	if finishReason != "" {
		if o.holding {
			if text := o.contentText(); text != "" {
				_ = o.write(o.enc.Content(text))
			}
			_ = o.writeCalls(0)
		}
		_ = o.write(o.enc.FinishAnnotated(o.finishReason(finishReason), annotations(ans)))
		if o.includeUsage {
			_ = o.write(o.enc.Usage(ans.Usage()))
		}
		_ = o.write(openai.Done)
		o.flush()
	}
	return o.body(ans, finishReason)
}

// fail sends the error as one event, then [DONE], once the stream is open;
// before that it is an HTTP error.
func (o *streamOutput) fail(f failure) {
	f = o.c.fail(f)
	if !o.c.events().isOpen() || f.api.Status == statusClientClosed {
		return
	}
	_ = o.write(openai.ErrorEvent(f.api))
	_ = o.write(openai.Done)
	o.flush()
}
