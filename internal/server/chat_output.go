package server

import (
	"encoding/json"
	"net/http"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/translate"
)

// chatFormat answers Chat Completions (and legacy completion) calls: chunks
// or one JSON body, in OpenAI's envelope.
type chatFormat struct {
	legacy       bool // POST /v1/completions
	includeUsage bool // stream_options.include_usage
}

func (f chatFormat) open(c *call, t *turnSpec, start bool) output {
	prefix := "chatcmpl-"
	if f.legacy {
		prefix = "cmpl-"
	}
	b := bufferedOutput{c: c, legacy: f.legacy, id: prefix + c.ex.Request.RequestID, model: t.answerModel(), created: c.ex.Request.Timestamp.Unix()}
	if !t.stream {
		return &b
	}
	enc := openai.NewChatChunkEncoder(b.id, b.model, b.created)
	if f.legacy {
		enc = openai.NewTextChunkEncoder(b.id, b.model, b.created)
	}
	o := &streamOutput{bufferedOutput: b, enc: enc, rc: http.NewResponseController(c.w), includeUsage: f.includeUsage,
		// tool_choice that demands a call can only be checked on the whole
		// answer: such streams are sent when the answer is complete.
		holding: t.tools.Active() && t.tools.Requirement() != ""}
	o.sentRaw = !o.holding
	if start {
		o.start()
	}
	return o
}

// bufferedOutput answers with one JSON body at the end.
type bufferedOutput struct {
	transcript
	c      *call
	legacy bool
	// sentRaw is set when the text went out as it arrived (a stream not
	// held back): the recorded body then keeps it exactly so.
	sentRaw bool
	id      string
	model   string
	created int64
}

func (o *bufferedOutput) content(s string) error   { o.text.WriteString(s); return nil }
func (o *bufferedOutput) reasoning(s string) error { o.reasoned.WriteString(s); return nil }
func (o *bufferedOutput) flush()                   {}
func (o *bufferedOutput) fail(f failure)           { o.c.fail(f) }

func (o *bufferedOutput) toolCalls(calls []qp.ToolCall) error {
	o.callList = append(o.callList, calls...)
	return nil
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
	text := o.contentText()
	if o.sentRaw {
		text = o.text.String()
	}
	var fr *string
	if finishReason != "" {
		fr = &finishReason
	}
	var v any
	if o.legacy {
		v = &openai.TextCompletion{ID: o.id, Object: "text_completion", Created: o.created, Model: o.model, Usage: ans.Usage(),
			Choices: []openai.TextChoice{{Text: text, Logprobs: json.RawMessage("null"), FinishReason: fr}}}
	} else {
		msg := openai.ResponseMessage{Role: "assistant", ReasoningContent: o.reasoned.String(), ToolCalls: openai.ToolCalls(o.callList)}
		if text != "" || len(o.callList) == 0 {
			msg.Content = &text // null only when the answer is calls alone, as OpenAI sends it
		}
		v = &openai.ChatCompletion{ID: o.id, Object: "chat.completion", Created: o.created, Model: o.model, Usage: ans.Usage(),
			Choices: []openai.ChatChoice{{Message: msg, FinishReason: fr}}}
	}
	b, _ := json.Marshal(v) // strings and numbers only: cannot fail
	return b
}

// streamOutput forwards the answer as server-sent events.
type streamOutput struct {
	bufferedOutput
	enc          *openai.ChunkEncoder
	rc           *http.ResponseController
	includeUsage bool
	holding      bool // send content and calls only at finish
	started      bool
	err          error
}

func (o *streamOutput) start() {
	o.started = true
	startEventStream(o.c)
	_ = o.write(o.enc.Role())
	o.flush()
}

func (o *streamOutput) write(b []byte) error {
	if o.err == nil {
		o.err = writeEvent(o.c, b)
	}
	return o.err
}

func (o *streamOutput) content(s string) error {
	o.text.WriteString(s)
	if o.holding {
		return nil
	}
	return o.write(o.enc.Content(s))
}

func (o *streamOutput) reasoning(s string) error {
	o.reasoned.WriteString(s)
	return o.write(o.enc.Reasoning(s))
}

func (o *streamOutput) toolCalls(calls []qp.ToolCall) error {
	first := len(o.callList)
	o.callList = append(o.callList, calls...)
	if o.holding {
		return nil
	}
	return o.writeCalls(first)
}

// writeCalls sends the calls from index first on: per call, its id and name,
// then its arguments.
func (o *streamOutput) writeCalls(first int) error {
	for i := first; i < len(o.callList); i++ {
		c := o.callList[i]
		if err := o.write(o.enc.ToolCallStart(i, c.ID, c.Name)); err != nil {
			return err
		}
		if err := o.write(o.enc.ToolCallArguments(i, c.Arguments)); err != nil {
			return err
		}
	}
	return nil
}

func (o *streamOutput) flush() {
	if o.started && o.err == nil {
		o.err = flushEvents(o.rc)
	}
}

func (o *streamOutput) finish(ans *translate.Answer, finishReason string) []byte {
	if finishReason != "" {
		if o.holding {
			if text := o.contentText(); text != "" {
				_ = o.write(o.enc.Content(text))
			}
			_ = o.writeCalls(0)
		}
		_ = o.write(o.enc.Finish(finishReason))
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
	o.c.fail(f)
	if !o.started || f.api.Status == statusClientClosed {
		return
	}
	_ = o.write(openai.ErrorEvent(f.api))
	_ = o.write(openai.Done)
	o.flush()
}
