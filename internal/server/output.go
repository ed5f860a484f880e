package server

import (
	"strings"
	"unicode"

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
	// delivered is the answer's text as far as it went to the client (on
	// a stream not held back whole: see deliveredPartial).
	delivered() string
	// keepDelivered forgets, of an answer that failed, what its client
	// never got, so that finish's body for the record is what it
	// received (see transcript.keepSent).
	keepDelivered()
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
func (s *Server) newOutput(c *call, t *turnSpec, start bool) output {
	return t.format.open(c, t, start)
}

// transcript is the answer as the client gets it, kept by every output.
type transcript struct {
	text     translate.Text
	reasoned translate.Text
	callList []qp.ToolCall
	// callAt is where each call of callList came in the text: its length
	// in bytes when the call was taken (noteCalls). An answer sent whole
	// lists its text and calls in that order, as its stream sends them:
	// text the model wrote after a call comes after it (textAround).
	callAt []int
	// reasoningBreak: a corrective retry has begun after reasoning the
	// client has (streamed, or in the same field): the retry's reasoning
	// starts after a blank line, not glued to the broken answer's.
	reasoningBreak bool
	// withheld is set once keepSent forgot a failed answer that its
	// client never got: its body for the record names none of it (nor
	// the searches and sources that came with it).
	withheld bool
}

// reasoningPiece keeps s, the answer's next piece of reasoning, and returns
// it as the client gets it (after a corrective retry's break, if due).
func (o *transcript) reasoningPiece(s string) string {
	if o.reasoningBreak && s != "" {
		o.reasoningBreak = false
		s = "\n\n" + s
	}
	o.reasoned.WriteString(s)
	return s
}

func (o *transcript) delivered() string { return o.text.String() }

// keepSent forgets what of a failed answer its client never got, so
// that the client-API body recorded for the call is what the client
// received: all of an answer sent whole (stream false: its body is never
// written, the client gets an error or has left), and the text and calls
// of a stream held back whole (live false: sent only at its end, which
// never came). A stream's reasoning went out as it came, and so did a live
// stream's text and calls; what the text path still held of a live stream
// (a stop sequence's possible start, a call's possible markup) never
// reached the transcript. Qwen's side of the record keeps the whole
// answer (translate.Answer.UpstreamRecord). Until 2026-12-07 the record
// kept the withheld text as if the client had it.
func (o *transcript) keepSent(stream, live bool) {
	if stream && live {
		return
	}
	o.withheld = true
	o.text.Reset()
	o.callList, o.callAt = nil, o.callAt[:0]
	if !stream {
		o.reasoned.Reset()
	}
}

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
		o.noteCalls()
		if live {
			if err := send(first); err != nil {
				return err
			}
		}
	}
	return nil
}

// noteCalls notes where the calls of callList not noted yet came: here,
// at the end of the text so far.
func (o *transcript) noteCalls() {
	for len(o.callAt) < len(o.callList) {
		o.callAt = append(o.callAt, o.text.Len())
	}
}

// textAround is the answer's text cut at its calls: the text before each
// call of callList, then the text after the last one. Trimmed, the pieces
// hold what contentText holds; untrimmed, the text exactly as it came.
func (o *transcript) textAround(trimmed bool) []string {
	if len(o.callAt) < len(o.callList) { // not noted: the text comes first
		text := o.text.String()
		if trimmed {
			text = o.contentText()
		}
		return append([]string{text}, make([]string, len(o.callList))...)
	}
	text, from := o.text.String(), 0
	pieces := make([]string, 0, len(o.callList)+1)
	for _, at := range o.callAt[:len(o.callList)] {
		at = min(max(at, from), len(text))
		pieces = append(pieces, text[from:at])
		from = at
	}
	pieces = append(pieces, text[from:])
	if !trimmed || len(o.callList) == 0 {
		return pieces
	}
	for i := 0; i < len(pieces); i++ { // the whitespace before the first words
		if pieces[i] = strings.TrimLeftFunc(pieces[i], unicode.IsSpace); pieces[i] != "" {
			break
		}
	}
	for i := len(pieces) - 1; i >= 0; i-- { // and after the last ones
		if pieces[i] = strings.TrimRightFunc(pieces[i], unicode.IsSpace); pieces[i] != "" {
			break
		}
	}
	return pieces
}

// dropText forgets the text: the calls now come first.
func (o *transcript) dropText() {
	o.text.Reset()
	clear(o.callAt)
}

func (o *transcript) reset() {
	o.text.Reset()
	o.callList, o.callAt = nil, o.callAt[:0]
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
