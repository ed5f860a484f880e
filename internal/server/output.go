package server

import (
	"encoding/json"
	"net/http"
	"strings"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/tools"
	"qwenproxy/internal/translate"
)

// output is where an answer goes: a stream of chunks, or one JSON body at
// the end. It also keeps the answer as the client gets it (text without
// call markup, and the calls), for the record and the session key.
type output interface {
	content(s string) error
	reasoning(s string) error
	toolCalls(calls []tools.Call) error
	// hold keeps text for the record only (what arrived before a failure).
	hold(text string)
	flush()
	calls() []tools.Call
	// message is the answer as the client will resend it next turn.
	message() *openai.Message
	// reset forgets the answer, before a corrective retry.
	reset()
	// finish completes the answer (finishReason "" for one that failed) and
	// returns its OpenAI-form body for the record.
	finish(ans *translate.Answer, finishReason string) []byte
	// fail reports f: as an HTTP error if nothing was sent, else in-stream.
	fail(f failure)
}

// newOutput returns the call's output; start opens the event stream at once
// (a stream whose upstream failed before answering is never opened, so the
// client gets a real HTTP status).
func (s *Server) newOutput(c *call, t turnSpec, start bool) output {
	prefix := "chatcmpl-"
	if t.legacy {
		prefix = "cmpl-"
	}
	b := bufferedOutput{c: c, legacy: t.legacy, id: prefix + c.ex.Request.RequestID, model: t.model, created: c.ex.Request.Timestamp.Unix()}
	if !t.stream {
		return &b
	}
	enc := openai.NewChatChunkEncoder(b.id, t.model, b.created)
	if t.legacy {
		enc = openai.NewTextChunkEncoder(b.id, t.model, b.created)
	}
	o := &streamOutput{bufferedOutput: b, enc: enc, rc: http.NewResponseController(c.w), includeUsage: t.includeUsage,
		// tool_choice that demands a call can only be checked on the whole
		// answer: such streams are sent when the answer is complete.
		holding: t.tools.Active() && t.tools.Requirement() != ""}
	if start {
		o.start()
	}
	return o
}

// bufferedOutput answers with one JSON body at the end.
type bufferedOutput struct {
	c        *call
	legacy   bool
	id       string
	model    string
	created  int64
	text     strings.Builder
	reasoned strings.Builder
	callList []tools.Call
}

func (o *bufferedOutput) content(s string) error   { o.text.WriteString(s); return nil }
func (o *bufferedOutput) reasoning(s string) error { o.reasoned.WriteString(s); return nil }
func (o *bufferedOutput) hold(s string)            { o.text.WriteString(s) }
func (o *bufferedOutput) flush()                   {}
func (o *bufferedOutput) fail(f failure)           { o.c.fail(f) }
func (o *bufferedOutput) calls() []tools.Call      { return o.callList }

func (o *bufferedOutput) toolCalls(calls []tools.Call) error {
	o.callList = append(o.callList, calls...)
	return nil
}

func (o *bufferedOutput) reset() {
	o.text.Reset()
	o.callList = nil
}

// contentText is the answer text; with calls, the whitespace the markup
// left around them goes.
func (o *bufferedOutput) contentText() string {
	if len(o.callList) > 0 {
		return strings.TrimSpace(o.text.String())
	}
	return o.text.String()
}

func (o *bufferedOutput) openAICalls() []openai.ToolCall {
	var out []openai.ToolCall
	for _, c := range o.callList {
		tc := openai.ToolCall{ID: c.ID, Type: "function"}
		tc.Function.Name, tc.Function.Arguments = c.Name, c.Arguments
		out = append(out, tc)
	}
	return out
}

func (o *bufferedOutput) message() *openai.Message {
	content := json.RawMessage("null")
	if text := o.contentText(); text != "" || len(o.callList) == 0 {
		content, _ = json.Marshal(text)
	}
	return &openai.Message{Role: "assistant", Content: content, ToolCalls: o.openAICalls()}
}

func (o *bufferedOutput) finish(ans *translate.Answer, finishReason string) []byte {
	body := o.body(ans, finishReason)
	if finishReason != "" {
		o.c.wrote = true
		o.c.ex.Response.HTTPStatus = http.StatusOK
		o.c.atEnd(func() { writeBody(o.c.w, http.StatusOK, body) })
	}
	return body
}

func (o *bufferedOutput) body(ans *translate.Answer, finishReason string) []byte {
	var fr *string
	if finishReason != "" {
		fr = &finishReason
	}
	var v any
	if o.legacy {
		v = &openai.TextCompletion{ID: o.id, Object: "text_completion", Created: o.created, Model: o.model, Usage: ans.Usage(),
			Choices: []openai.TextChoice{{Text: o.contentText(), Logprobs: json.RawMessage("null"), FinishReason: fr}}}
	} else {
		msg := openai.ResponseMessage{Role: "assistant", ReasoningContent: o.reasoned.String(), ToolCalls: o.openAICalls()}
		if text := o.contentText(); text != "" || len(o.callList) == 0 {
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
	h := o.c.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	o.c.w.WriteHeader(http.StatusOK)
	o.c.wrote, o.started = true, true
	if m := o.c.metrics; m != nil {
		o.c.streaming = true
		m.ActiveStreams.Inc()
	}
	o.c.ex.Response.HTTPStatus = http.StatusOK
	_ = o.write(o.enc.Role())
	o.flush()
}

func (o *streamOutput) write(b []byte) error {
	if o.err != nil {
		return o.err
	}
	if len(b) == 0 {
		return nil
	}
	if _, err := o.c.w.Write(b); err != nil {
		o.err = errClientGone
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

func (o *streamOutput) toolCalls(calls []tools.Call) error {
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
	if o.started && o.err == nil && o.rc.Flush() != nil {
		o.err = errClientGone
	}
}

func (o *streamOutput) finish(ans *translate.Answer, finishReason string) []byte {
	if finishReason != "" {
		usage := ans.Usage()
		o.c.atEnd(func() {
			if o.holding {
				if text := o.contentText(); text != "" {
					_ = o.write(o.enc.Content(text))
				}
				_ = o.writeCalls(0)
			}
			_ = o.write(o.enc.Finish(finishReason))
			if o.includeUsage {
				_ = o.write(o.enc.Usage(usage))
			}
			_ = o.write(openai.Done)
			o.flush()
		})
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
	o.c.atEnd(func() {
		_ = o.write(openai.ErrorEvent(f.api))
		_ = o.write(openai.Done)
		o.flush()
	})
}
