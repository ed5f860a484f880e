package server

import (
	"encoding/json"
	"net/http"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/translate"
)

// output is where an answer goes: a stream of chunks, or one JSON body.
type output interface {
	content(s string) error
	reasoning(s string) error
	flush()
	// finish completes the answer (finishReason "" for one that failed) and
	// returns its OpenAI-form body for the record.
	finish(ans *translate.Answer, finishReason string) []byte
	// fail reports f: as an HTTP error if nothing was sent, else in-stream.
	fail(f failure)
}

func (s *Server) newOutput(c *call, t turnSpec) output {
	prefix := "chatcmpl-"
	if t.legacy {
		prefix = "cmpl-"
	}
	id, created := prefix+c.ex.Request.RequestID, c.ex.Request.Timestamp.Unix()
	if !t.stream {
		return &bufferedOutput{c: c, legacy: t.legacy, id: id, model: t.model, created: created}
	}
	enc := openai.NewChatChunkEncoder(id, t.model, created)
	if t.legacy {
		enc = openai.NewTextChunkEncoder(id, t.model, created)
	}
	o := &streamOutput{bufferedOutput: bufferedOutput{c: c, legacy: t.legacy, id: id, model: t.model, created: created},
		enc: enc, rc: http.NewResponseController(c.w), includeUsage: t.includeUsage}
	o.start()
	return o
}

// bufferedOutput answers with one JSON body at the end.
type bufferedOutput struct {
	c       *call
	legacy  bool
	id      string
	model   string
	created int64
}

func (o *bufferedOutput) content(string) error   { return nil }
func (o *bufferedOutput) reasoning(string) error { return nil }
func (o *bufferedOutput) flush()                 {}
func (o *bufferedOutput) fail(f failure)         { o.c.fail(f) }

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
	var v any = ans.ChatCompletion(o.id, o.model, o.created, finishReason)
	if o.legacy {
		v = ans.TextCompletion(o.id, o.model, o.created, finishReason)
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
	err          error
}

func (o *streamOutput) start() {
	h := o.c.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	o.c.w.WriteHeader(http.StatusOK)
	o.c.wrote = true
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

func (o *streamOutput) content(s string) error   { return o.write(o.enc.Content(s)) }
func (o *streamOutput) reasoning(s string) error { return o.write(o.enc.Reasoning(s)) }

func (o *streamOutput) flush() {
	if o.err == nil && o.rc.Flush() != nil {
		o.err = errClientGone
	}
}

func (o *streamOutput) finish(ans *translate.Answer, finishReason string) []byte {
	if finishReason != "" {
		_ = o.write(o.enc.Finish(finishReason))
		if o.includeUsage {
			_ = o.write(o.enc.Usage(ans.Usage()))
		}
		_ = o.write(openai.Done)
		o.flush()
	}
	return o.body(ans, finishReason)
}

// fail sends the error as one event, then [DONE]: the status line has gone.
func (o *streamOutput) fail(f failure) {
	o.c.fail(f)
	if f.api.Status == statusClientClosed {
		return
	}
	_ = o.write(openai.ErrorEvent(f.api))
	_ = o.write(openai.Done)
	o.flush()
}
