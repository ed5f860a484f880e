package server

import (
	"strings"

	qp "qwenproxy"
	"qwenproxy/internal/translate"
)

// output is where an answer goes, in the client API's format: a stream of
// events as the answer arrives, or one body at the end. Each front-end
// (Chat Completions, Anthropic Messages, Responses) implements it; the core
// (turn.go) drives it the same way for all. It also keeps the answer as the
// client gets it (text without call markup, and the calls), for the record
// and the session key.
type output interface {
	// start opens the event stream if it is not open yet (a no-op for an
	// answer sent whole): upstream has begun to answer.
	start()
	content(s string) error
	reasoning(s string) error
	toolCalls(calls []qp.ToolCall) error
	// hold keeps text for the record only (what arrived before a failure).
	hold(text string)
	flush()
	calls() []qp.ToolCall
	// message is the answer as the client will resend it next turn.
	message() *qp.Message
	// reset forgets the answer, before a corrective retry.
	reset()
	// dropText forgets the answer's text, keeping its calls and reasoning;
	// only for an answer held back whole (turnSpec.checked).
	dropText()
	// restart forgets the answer and its reasoning, before the answer is
	// asked for again (of which the client has seen nothing).
	restart()
	// finish completes the answer (finishReason, one of qp.Finish…, "" for
	// one that failed) and returns its body in the client API's form, for
	// the record.
	finish(ans *translate.Answer, finishReason string) []byte
	// fail reports f: as an HTTP error if nothing was sent, else in-stream.
	fail(f failure)
}

// answerFormat is a client API's way of answering.
type answerFormat interface {
	// open returns the call's output; start opens the event stream at once.
	// A stream is otherwise opened by output.start when upstream answers,
	// or by the keep-alive (events.go) after STREAM_KEEPALIVE: a stream
	// whose upstream failed before either is never opened, so the client
	// gets a real HTTP status.
	open(c *call, t *turnSpec, start bool) output
}

// newOutput opens the call's output in its client API's format.
func (s *Server) newOutput(c *call, t turnSpec, start bool) output {
	return t.format.open(c, &t, start)
}

// transcript is the answer as the client gets it, kept by every output.
type transcript struct {
	text     strings.Builder
	reasoned strings.Builder
	callList []qp.ToolCall
	// reasoningBreak: a corrective retry has begun after reasoning the
	// client has (streamed, or in the same field): the retry's reasoning
	// starts after a blank line, not glued to the broken answer's.
	reasoningBreak bool
}

// reasoningPiece keeps s, the answer's next piece of reasoning, and returns
// it as the client gets it (after a corrective retry's break, if due).
func (o *transcript) reasoningPiece(s string) string {
	if o.reasoningBreak && s != "" {
		o.reasoningBreak = false
		s = "\n\n" + s
	}
	translate.AppendText(&o.reasoned, s)
	return s
}

func (o *transcript) hold(s string)        { translate.AppendText(&o.text, s) }
func (o *transcript) calls() []qp.ToolCall { return o.callList }

// takeCalls puts an answer's calls in the transcript, for the Messages and
// Responses outputs. The call whose arguments were streaming (its id is
// *streaming) is there already: done completes it. The others are appended
// and, when live, sent from their index on.
func (o *transcript) takeCalls(calls []qp.ToolCall, streaming *string, done func(qp.ToolCall), live bool, send func(first int) error) error {
	for _, c := range calls {
		if c.ID != "" && c.ID == *streaming {
			*streaming = ""
			done(c)
			continue
		}
		first := len(o.callList)
		o.callList = append(o.callList, c)
		if live {
			if err := send(first); err != nil {
				return err
			}
		}
	}
	return nil
}

func (o *transcript) dropText() { o.text.Reset() }

func (o *transcript) reset() {
	o.text.Reset()
	o.callList = nil
	o.reasoningBreak = o.reasoned.Len() > 0
}

func (o *transcript) restart() {
	o.reset()
	o.reasoned.Reset()
	o.reasoningBreak = false
}

// contentText is the answer text; with calls, the whitespace the markup
// left around them goes.
func (o *transcript) contentText() string {
	if len(o.callList) > 0 {
		return strings.TrimSpace(o.text.String())
	}
	return o.text.String()
}

func (o *transcript) message() *qp.Message {
	return &qp.Message{Role: "assistant", Text: o.contentText(), ToolCalls: o.callList}
}
