package qwen

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"time"
)

// EventKind tells what an upstream stream event carries.
type EventKind int

const (
	// EventCreated opens an answer: chat, parent (the id the next turn hangs
	// under) and response (the assistant message) ids.
	EventCreated EventKind = iota + 1
	// EventDelta is a piece of text in some phase.
	EventDelta
	// EventKeepAlive carries nothing; Qwen sends it during long work.
	EventKeepAlive
)

// Phases of a delta. Anything but PhaseAnswer is the model's reasoning or a
// built-in tool, never part of the answer text.
const (
	PhaseAnswer          = "answer"
	PhaseThink           = "think"
	PhaseThinkingSummary = "thinking_summary"
	// PhaseWebSearch carries the search's sources in
	// extra.web_search_info (cumulative), with no answer text.
	PhaseWebSearch = "web_search"
	// PhaseImageGen carries a generated image's URL as its content (t2i,
	// qwen-2026.md §3.3); a 2026 peer's test fixtures name the phase
	// PhaseImage (qwen-wire.md S11). IsImagePhase takes either.
	PhaseImageGen = "image_gen"
	PhaseImage    = "image"
	// PhaseFunction is a frame of role "function" — the result of one of
	// Qwen's own tools (a web search's sources, "Tool X does not
	// exists.") — that is tagged with the answer's or the thinking's phase,
	// or none. Qwen sends such rounds before the assistant's real answer,
	// marked finished: read as the answer, their text would lead it and
	// their end would cut it short.
	PhaseFunction = "function"
)

// roleFunction is the role of the frames that carry Qwen's own tools'
// results.
const roleFunction = "function"

// IsImagePhase reports whether phase carries a generated image: the two
// sources name it differently, and an image read under neither name would
// be lost as a built-in tool's phase.
func IsImagePhase(phase string) bool { return phase == PhaseImageGen || phase == PhaseImage }

// Source is one web page a searching answer drew on
// (delta.extra.web_search_info[i], qwen-2026.md §2.2).
type Source struct {
	Title   string `json:"title"`
	URL     string `json:"url"`
	Snippet string `json:"snippet,omitempty"`
}

// Created identifies an answer. In 2026 Qwen may open two candidate
// answers in one stream (response_index "0" and "1").
type Created struct {
	ChatID        string `json:"chat_id"`
	ParentID      string `json:"parent_id"`
	ResponseID    string `json:"response_id"`
	ResponseIndex string `json:"response_index,omitempty"`
}

// Usage is Qwen's cumulative token count, as of the event that carried it.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
	TotalTokens  int `json:"total_tokens"`
	// OutputTokensDetails tells, in 2026, the output spent thinking.
	OutputTokensDetails OutputTokensDetails `json:"output_tokens_details,omitzero"`
	// The part of input_tokens Qwen read from its prompt cache: usage's
	// cached_tokens in 2025, its prompt_tokens_details.cached_tokens in
	// 2026 (qwen-wire.md §4.2). Cached reads either.
	CachedTokens        int                 `json:"cached_tokens,omitzero"`
	PromptTokensDetails PromptTokensDetails `json:"prompt_tokens_details,omitzero"`
}

// PromptTokensDetails is the part of usage's input_tokens Qwen read from
// its prompt cache (2026); its other counts are not read.
type PromptTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

// Cached is the part of the input Qwen read from its prompt cache, in
// whichever of its two forms the usage gave it.
func (u Usage) Cached() int {
	if u.PromptTokensDetails.CachedTokens != 0 {
		return u.PromptTokensDetails.CachedTokens
	}
	return u.CachedTokens
}

// OutputTokensDetails is the part of usage's output_tokens Qwen spent
// thinking (2026, with reasoning: qwen-wire.md §4.2); its other counts
// (text_tokens) are not read.
type OutputTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

// Event is one decoded stream event.
type Event struct {
	Kind     EventKind
	Created  Created
	Phase    string
	Content  string
	Finished bool // status "finished": this phase is complete
	HasUsage bool // the event carried usage
	Usage    Usage
	// ResponseID is the candidate answer a 2026 event belongs to ("" in
	// 2025 streams).
	ResponseID string
	// Sources are the web search's results so far (web_search phase; Qwen
	// resends the whole list), nil when the event carries none.
	Sources []Source
	// SearchCall: the event is Qwen's web search being called (the
	// web_search phase's function_call, qwen-wire.md §4.2), SearchQuery
	// what it searches for ("" when its arguments name no query).
	SearchCall  bool
	SearchQuery string
}

// rawEvent is the union of every event shape Qwen sends.
type rawEvent struct {
	Created *Created        `json:"response.created"`
	Info    json.RawMessage `json:"response.info"`
	Choices []struct {
		Delta struct {
			Role    string `json:"role"`
			Content string `json:"content"`
			Phase   string `json:"phase"`
			Status  string `json:"status"`
			Extra   *struct {
				SummaryThought *struct {
					Content []string `json:"content"`
				} `json:"summary_thought"`
				WebSearchInfo []Source `json:"web_search_info"`
			} `json:"extra"`
			ReasoningContent string `json:"reasoning_content"`
			// Arguments are a JSON object in a string (as OpenAI's), or
			// the object itself: which, no capture shows.
			FunctionCall *struct {
				Name      string          `json:"name"`
				Arguments json.RawMessage `json:"arguments"`
			} `json:"function_call"`
			// A delta of status "error" says how the answer failed
			// (errorDelta).
			Code    string `json:"code"`
			Message string `json:"message"`
			Details string `json:"details"`
		} `json:"delta"`
	} `json:"choices"`
	Usage      *Usage `json:"usage"`
	ResponseID string `json:"response_id"`
	envelope
}

// Stream reads one streamed answer. It is not safe for concurrent use.
type Stream struct {
	body    io.ReadCloser
	r       *bufio.Reader
	readers *sync.Pool     // where r and the shape's arrays go back on Close; nil when r is the stream's own
	pooled  *streamBuffers // what goes back to readers
	capped  *cappedReader  // bounds the answer's bytes
	data    []byte
	long    []byte
	pending []Event // decoded, not yet returned from pending[next:]
	next    int
	// summaryText is the thinking summary as Qwen last sent it (its
	// paragraphs joined), summary how many paragraphs it had at most:
	// what newSummary has returned.
	summaryText string
	summary     int
	// lastResponseID is the response id of the last common delta decoded,
	// handed to the next so that its equal id costs no new string.
	lastResponseID string
	// shape is the last common delta the scanner read: the events after it
	// mostly match it, and are read from their differences alone.
	shape shape
	// onFail hears of the answer's first failure (Config.OnStreamFailure);
	// nil before the answer opened and once told.
	onFail func(error)
	// creds are the credentials the answer was asked with: an event that
	// fails it is masked of their secrets (masked) before it becomes an
	// error, as a refusal before the stream is. masks is the client's.
	creds Credentials
	masks *knownCache
	// status is the answer's logical status (x-actual-status-code) when it
	// names a failure, 0 otherwise: a failure event is classified with it.
	status int
	// contents holds the text of the deltas decoded: their Content strings
	// are slices of it (see scanner.content).
	contents strings.Builder

	// Candidate filtering (qwen-2026.md §3.1): the stream keeps the first
	// candidate that sends a delta and drops the others' events.
	chosen     string             // the candidate kept; "" until a delta names one
	announced  string             // the candidate whose Created was handed out
	candidates map[string]Created // created events not handed out yet

	watch *watchdog
	// ctx is the caller's: its error is the stream's when it ends the
	// stream. cancel ends the upstream request, and unfollow stops the
	// caller's cancellation from doing so (Finish).
	ctx      context.Context
	cancel   context.CancelFunc
	unfollow func() bool
	closed   bool
}

// streamBufferSize is the read buffer of a stream: an event longer than it
// is still read whole (readLine joins the pieces).
const streamBufferSize = 32 << 10

// streamBuffers are what a stream reads with that another stream can use
// after it, kept in the client's pool: the read buffer, and the arrays of
// the shape it learns (some 2 KB in five allocations, learnt anew by every
// stream).
type streamBuffers struct {
	r     *bufio.Reader
	shape shape // emptied: the arrays alone
}

// newStreamReader makes a stream's buffers, for the client's pool.
func newStreamReader() any { return &streamBuffers{r: bufio.NewReaderSize(nil, streamBufferSize)} }

// newStream reads body, failing with KindTooLarge past
// DefaultMaxAnswerBytes (see limitBytes). With readers, the read buffer
// comes from that pool and goes back to it on Close; without, it is
// allocated.
func newStream(ctx context.Context, cancel context.CancelFunc, body io.ReadCloser, watch *watchdog, readers *sync.Pool) *Stream {
	capped := &cappedReader{r: body, left: DefaultMaxAnswerBytes, max: DefaultMaxAnswerBytes, watch: watch}
	var b *streamBuffers
	if readers != nil {
		b = readers.Get().(*streamBuffers)
	} else {
		b = newStreamReader().(*streamBuffers)
	}
	b.r.Reset(capped)
	return &Stream{body: body, r: b.r, shape: b.shape, readers: readers, pooled: b, capped: capped, watch: watch, ctx: ctx, cancel: cancel}
}

// limitBytes sets the bound on the answer's bytes, before the first read;
// n <= 0 keeps the default.
func (s *Stream) limitBytes(n int64) {
	if n > 0 {
		s.capped.left, s.capped.max = n, n
	}
}

// NewStream reads a recorded or otherwise local event stream, with no idle
// timeout.
func NewStream(body io.ReadCloser) *Stream {
	ctx, cancel := context.WithCancel(context.Background())
	return newStream(ctx, cancel, body, &watchdog{cancel: cancel}, nil)
}

// Buffered is the number of bytes already read from upstream and not yet
// decoded. Callers flush to their client only when it is zero, so that a burst
// of events costs one flush.
func (s *Stream) Buffered() int { return s.r.Buffered() }

// Close ends the upstream request and its connection (a body closed before
// its end cannot be reused). An answer read to its end is better ended with
// Finish.
func (s *Stream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.watch.stop()
	if s.unfollow != nil {
		s.unfollow()
	}
	s.cancel()
	err := s.body.Close()
	s.releaseReader()
	return err
}

// errStreamClosed is a read of a stream after Close or Finish.
var errStreamClosed = errors.New("qwen: stream read after it was closed")

// Maximum bytes and time Finish spends reading what follows a complete
// answer. Qwen ends the body right after the last event (the chunked
// encoding's end, a few bytes); anything longer or slower is not worth a
// connection.
const (
	finishDrainBytes = 64 << 10
	finishDrainTime  = 5 * time.Second
)

// Finish ends a stream whose answer is complete (its last event read): the
// rest of the body, at most finishDrainBytes within finishDrainTime, is read
// in the background, after which the connection goes back to the client's
// pool for the next call instead of being closed. Without it every call
// dialed a new connection (and, against chat.qwen.ai, a TLS handshake). A
// stream whose caller is already gone is closed as by Close. released is
// closed once the body is closed (and its connection pooled or dropped).
// An answer whose end came with its last event (already read) is closed at
// once, released closed on return: a goroutine and a timer a call, and the
// wake-up of another thread to run them, for nothing to read.
func (s *Stream) Finish() (released <-chan struct{}) {
	done := make(chan struct{})
	if s.closed || s.capped.ended || s.unfollow == nil || !s.unfollow() {
		s.Close() // closed, read to its end, local, or the caller gave up: nothing to keep
		close(done)
		return done
	}
	s.closed = true
	s.watch.stop()
	s.releaseReader() // bytes it holds past the answer are not needed
	body, cancel := s.body, s.cancel
	go func() {
		defer close(done)
		bound := time.AfterFunc(finishDrainTime, cancel)
		defer bound.Stop()
		io.Copy(io.Discard, io.LimitReader(body, finishDrainBytes))
		body.Close()
		cancel()
	}()
	return done
}

// releaseReader gives the read buffer and the shape's arrays back for
// another call; what is left
// of this stream reads the closed body through a buffer of the smallest
// size.
func (s *Stream) releaseReader() {
	if s.readers == nil {
		return
	}
	s.r.Reset(nil)
	s.pooled.r, s.pooled.shape = s.r, s.shape.emptied()
	s.readers.Put(s.pooled)
	s.r, s.readers, s.pooled = bufio.NewReaderSize(s.capped, 16), nil, nil
	s.shape = shape{} // the arrays are the next stream's: nothing decodes after Close
}

// Next returns the next event, valid until the next call to Next (it is
// the stream's: an event is ~230 bytes, and copying it out, then into the
// answer, cost a tenth of reading it). It returns io.EOF when the body
// ended cleanly; a stalled stream gives a KindTimeout *Error, a broken one
// KindStreamCut, and a canceled caller context its context error; with an
// error, the event is an empty one (of no kind), which callers that read on
// after io.EOF take as they take any event.
func (s *Stream) Next() (*Event, error) {
	for s.next == len(s.pending) {
		if s.closed {
			// After Finish the body is another goroutine's to read.
			return &Event{}, errStreamClosed
		}
		s.pending, s.next = s.pending[:0], 0 // reuse the backing array
		data, err := s.readData()
		if err == nil {
			err = s.decode(data)
		}
		if err != nil {
			s.failed(err)
			return &Event{}, err
		}
	}
	s.next++
	return &s.pending[s.next-1], nil
}

// failed tells onFail of the answer's first failure that is Qwen's.
func (s *Stream) failed(err error) {
	if _, ok := AsError(err); ok && s.onFail != nil {
		s.onFail(err)
		s.onFail = nil
	}
}

// peek reads the next event as Next does and leaves it to be read again by
// the next Next.
func (s *Stream) peek() (*Event, error) {
	ev, err := s.Next()
	if err == nil {
		s.next--
	}
	return ev, err
}

// readData returns the payload of the next SSE event (its data lines joined).
func (s *Stream) readData() ([]byte, error) {
	s.data = s.data[:0]
	s.watch.beat()
	for {
		line, err := s.readLine()
		if err == nil && len(s.data) == 0 {
			if payload, ok := s.wholeEvent(line); ok {
				return payload, nil
			}
		}
		if len(line) > 0 && s.addLine(line) && len(s.data) > 0 {
			return s.data, nil
		}
		if len(s.data) > MaxEventBytes {
			return nil, errEventTooLarge
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(bytes.TrimSpace(s.data)) > 0 {
				return s.data, nil
			}
			return nil, s.readError(err)
		}
	}
}

// readLine returns the next line; the slice is valid until the next call.
func (s *Stream) readLine() ([]byte, error) {
	line, err := s.r.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	s.long = append(s.long[:0], line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		if len(s.long) > MaxEventBytes {
			return nil, errEventTooLarge
		}
		line, err = s.r.ReadSlice('\n')
		s.long = append(s.long, line...)
	}
	return s.long, err
}

// wholeEvent returns the payload of an event that is line alone, a data
// line, when the blank line that ends it is already read (as Qwen sends
// its events: each a data line and a blank line, in one write), and
// consumes that blank line. The payload is a slice of the read buffer,
// valid until the next read: what readData returns is decoded before it;
// copying each event into s.data, and reading the blank line as a line of
// its own, cost a third of reading it.
func (s *Stream) wholeEvent(line []byte) ([]byte, bool) {
	payload, ok := bytes.CutPrefix(trimLineEnd(line), []byte("data:"))
	if !ok || len(payload) == 0 {
		return nil, false
	}
	next, _ := s.r.Peek(min(2, s.r.Buffered())) // within the buffer: no read
	blank := 0
	switch {
	case len(next) > 0 && next[0] == '\n':
		blank = 1
	case len(next) > 1 && next[0] == '\r' && next[1] == '\n':
		blank = 2
	default:
		return nil, false
	}
	s.r.Discard(blank)
	return bytes.TrimPrefix(payload, []byte(" ")), true
}

// trimLineEnd cuts a line's end of line (any run of CR and LF).
func trimLineEnd(line []byte) []byte {
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	return line
}

// addLine adds one line to the current event and reports whether the line
// ended the event (a blank line). Fields other than data are ignored.
func (s *Stream) addLine(line []byte) bool {
	line = trimLineEnd(line)
	if len(line) == 0 {
		return true
	}
	payload, ok := bytes.CutPrefix(line, []byte("data:"))
	if !ok {
		return false
	}
	payload = bytes.TrimPrefix(payload, []byte(" "))
	if len(s.data) > 0 {
		s.data = append(s.data, '\n')
	}
	s.data = append(s.data, payload...)
	return false
}

// silenceText is d as the error that cut a silence of d says it: to the
// millisecond, or as it is when shorter.
func silenceText(d time.Duration) string {
	if d >= time.Millisecond {
		d = d.Truncate(time.Millisecond)
	}
	return d.String()
}

func (s *Stream) readError(err error) error {
	if qe, ok := AsError(err); ok { // a bound of ours
		return qe
	}
	switch {
	case s.watch.timedOut.Load():
		return &Error{Kind: KindTimeout, Message: "no data from Qwen for " + silenceText(s.watch.silent())}
	case s.ctx.Err() != nil:
		return s.ctx.Err()
	case errors.Is(err, io.EOF):
		return io.EOF
	default:
		return &Error{Kind: KindStreamCut, Message: "the upstream stream broke", Err: err}
	}
}

func (s *Stream) decode(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, []byte("[DONE]")) {
		return nil
	}
	ev, ok := s.shape.match(data, s.lastResponseID, &s.contents)
	if !ok {
		ev, ok = decodeDelta(data, s.lastResponseID, &s.shape, &s.contents)
	}
	if ok {
		s.lastResponseID = ev.ResponseID
		s.add(ev)
		return nil
	}
	if c, ok := decodeCreated(data); ok {
		s.created(c)
		return nil
	}
	var raw rawEvent
	if err := json.Unmarshal(data, &raw); err != nil {
		data = s.masked(data)
		if firewallMarked(data) {
			// A page, or risk control's answer in a shape of its own, as
			// classifyBody reads the same text as a whole body.
			return &Error{Kind: KindFirewall, Message: "Qwen answered with a firewall page in the stream: " + Summarize(data)}
		}
		return &Error{Kind: KindBadResponse, Message: "unreadable stream event: " + Summarize(data), Err: err}
	}
	if f := raw.envelope.failure(s.status); f != nil {
		if s.candidateFailed(raw.ResponseID) {
			return nil // another candidate goes on
		}
		if masked := s.masked(data); !bytes.Equal(masked, data) {
			// The failure's text echoes a secret sent: read again, masked.
			data = masked
			var again rawEvent
			if json.Unmarshal(data, &again) == nil {
				if g := again.envelope.failure(s.status); g != nil {
					f = g
				}
			}
		}
		if f.Kind != KindFirewall && firewallMarked(data) {
			// As classifyBody reads the same failure as a whole body.
			f.Kind = KindFirewall
		}
		return decodedMasked(s.ctx, s.masks.of(s.creds), f)
	}
	switch {
	case raw.Created != nil:
		s.created(*raw.Created)
	case len(raw.Info) > 0:
		s.pending = append(s.pending, Event{Kind: EventKeepAlive})
	case len(raw.Choices) > 0 && raw.Choices[0].Delta.Status == statusError:
		if s.candidateFailed(raw.ResponseID) {
			return nil // another candidate goes on
		}
		d := raw.Choices[0].Delta
		f := classifyCode(d.Code, string(s.masked([]byte(cmp.Or(d.Message, d.Details, d.Content)))), s.status, "")
		if d.Code == "" && d.Message == "" && d.Details == "" && d.Content == "" {
			f.Message = "Qwen's answer failed (a delta of status error, saying no more)"
		}
		if f.Kind != KindFirewall && firewallMarked(s.masked(data)) {
			f.Kind = KindFirewall
		}
		return decodedMasked(s.ctx, s.masks.of(s.creds), f)
	case len(raw.Choices) > 0:
		d := raw.Choices[0].Delta
		ev := Event{Kind: EventDelta, Phase: d.Phase, Content: d.Content, Finished: d.Status == "finished", ResponseID: raw.ResponseID}
		if raw.Usage != nil {
			ev.HasUsage, ev.Usage = true, *raw.Usage
		}
		if ev.Phase == "" {
			ev.Phase = PhaseAnswer
		}
		switch {
		case d.Role == roleFunction:
			ev.Phase = functionPhase(ev.Phase)
		case d.ReasoningContent == "":
		case d.Phase == PhaseThink || d.Phase == "" && d.Content == "":
			// Deltas that carry reasoning_content instead of a think
			// phase's content (qwen-2026.md §3.2).
			ev.Phase, ev.Content = PhaseThink, d.ReasoningContent+d.Content
		default:
			// reasoning_content beside a content of another phase (the
			// answer's, when none is given): the reasoning, then the
			// content in its phase (qwen-2026.md §3.2).
			s.add(Event{Kind: EventDelta, Phase: PhaseThink, Content: d.ReasoningContent, ResponseID: raw.ResponseID})
		}
		if d.Extra != nil && len(d.Extra.WebSearchInfo) > 0 {
			ev.Sources = d.Extra.WebSearchInfo
		}
		if fc := d.FunctionCall; fc != nil && fc.Name == PhaseWebSearch && d.Role != roleFunction {
			ev.SearchCall, ev.SearchQuery = true, searchQuery(fc.Arguments)
		}
		if ev.Phase == PhaseThinkingSummary && d.Extra != nil && d.Extra.SummaryThought != nil {
			if !s.otherCandidate(ev.ResponseID) {
				ev.Content += s.newSummary(d.Extra.SummaryThought.Content)
			}
		}
		s.add(ev)
	case raw.Usage != nil:
		s.add(Event{Kind: EventDelta, Phase: PhaseAnswer, HasUsage: true, Usage: *raw.Usage, ResponseID: raw.ResponseID})
	case raw.Success != nil && *raw.Success && len(raw.Data.Choices) > 0:
		// A non-streamed answer where a stream was asked for.
		s.pending = append(s.pending,
			Event{Kind: EventCreated, Created: Created{ParentID: raw.Data.ParentID, ResponseID: raw.Data.Message}},
			Event{Kind: EventDelta, Phase: PhaseAnswer, Content: raw.Data.Choices[0].Message.Content, Finished: true})
	case firewallMarked(data):
		// Of no shape an answer's events have, and bearing the firewall's
		// marks: its challenge, not a keep-alive (qwen-2026.md (a)7).
		return &Error{Kind: KindFirewall, Message: "Qwen answered with a firewall challenge in the stream: " + Summarize(s.masked(data))}
	default:
		s.pending = append(s.pending, Event{Kind: EventKeepAlive})
	}
	return nil
}

// statusError is the status of a delta that ends the answer in failure,
// its code and message beside it: {"delta": {"status": "error", "code":
// "RateLimited", "message": …}} (a 2026 client's stream processor,
// qwengate, reads it so; [1 src]).
const statusError = "error"

// functionPhase is the phase of a function frame tagged phase: a built-in
// tool's own phase (web_search, …) stays, the answer's and the thinking's
// become PhaseFunction, so that the tool's result is neither.
func functionPhase(phase string) string {
	switch phase {
	case PhaseAnswer, PhaseThink, PhaseThinkingSummary:
		return PhaseFunction
	}
	return phase
}

// created takes a response.created event: the first is handed out at once
// (it starts the answer); a second candidate's is kept until a delta shows
// which candidate the stream follows.
func (s *Stream) created(c Created) {
	if s.announced == "" {
		s.announced = c.ResponseID
		s.pending = append(s.pending, Event{Kind: EventCreated, Created: c})
		return
	}
	if c.ResponseID == s.announced || s.chosen != "" {
		return // a repeat, or a candidate that comes too late to be chosen
	}
	if s.candidates == nil {
		s.candidates = map[string]Created{}
	}
	if len(s.candidates) < 8 { // bounded: Qwen opens two
		s.candidates[c.ResponseID] = c
	}
}

// otherCandidate reports whether an event of responseID belongs to a
// candidate other than the one kept, choosing the kept one on the first
// delta that names one.
func (s *Stream) otherCandidate(responseID string) bool {
	if responseID == "" {
		return false // 2025: one answer per stream
	}
	if s.chosen == "" {
		s.chosen = responseID
		if c, ok := s.candidates[responseID]; ok && responseID != s.announced {
			// The stream follows the candidate announced second: its ids
			// are the ones the next turn must thread onto.
			s.announced = responseID
			s.pending = append(s.pending, Event{Kind: EventCreated, Created: c})
		}
		s.candidates = nil
	}
	return responseID != s.chosen
}

// candidateFailed reports whether a failure event of responseID is the
// end of a candidate the stream does not follow, rather than of the answer:
// one other than the candidate kept, or, before one is, one of two
// announced candidates, the other of which is then kept.
func (s *Stream) candidateFailed(responseID string) bool {
	switch {
	case responseID == "":
		return false
	case s.chosen != "":
		return responseID != s.chosen
	case responseID == s.announced:
		for id, c := range s.candidates {
			if id != responseID {
				s.chosen, s.announced, s.candidates = id, id, nil
				s.pending = append(s.pending, Event{Kind: EventCreated, Created: c})
				return true
			}
		}
	case s.candidates[responseID].ResponseID != "":
		s.chosen, s.candidates = s.announced, nil
		return true
	}
	return false
}

// add queues a delta unless it belongs to a candidate not kept.
func (s *Stream) add(ev Event) {
	if s.otherCandidate(ev.ResponseID) {
		return
	}
	s.pending = append(s.pending, ev)
}

// newSummary returns the thinking summary's text not returned before. Qwen
// resends the whole list of paragraphs on every summary event, and the
// paragraph it is writing grows in place from one event to the next (the
// 2026 clients take what extends the text so far): the text returned is
// the list joined, and what extends it is new. A list that no longer
// begins with what was returned (rewritten) cannot be taken back: its
// paragraphs past those counted are new, and it is the text the next
// events extend.
func (s *Stream) newSummary(paragraphs []string) string {
	full := strings.Join(paragraphs, "\n\n")
	seen, counted := s.summaryText, s.summary
	s.summaryText, s.summary = full, max(counted, len(paragraphs))
	if rest, ok := strings.CutPrefix(full, seen); ok {
		return rest
	}
	if counted >= len(paragraphs) {
		return ""
	}
	return "\n\n" + strings.Join(paragraphs[counted:], "\n\n")
}

// masked is b with the secrets of the answer's credentials and of the
// client's call (WithCallMask) masked.
func (s *Stream) masked(b []byte) []byte { return callMasked(s.ctx, s.masks.of(s.creds).Bytes(b)) }

// searchQuery is what a web_search call's arguments (a JSON object, or
// one in a string) search for: their "query", else their "queries" joined;
// "" when they name none.
func searchQuery(arguments json.RawMessage) string {
	var inString string
	if json.Unmarshal(arguments, &inString) == nil {
		arguments = json.RawMessage(inString)
	}
	var args struct {
		Query   any `json:"query"`
		Queries any `json:"queries"`
	}
	if json.Unmarshal(arguments, &args) != nil {
		return ""
	}
	for _, v := range []any{args.Query, args.Queries} {
		switch q := v.(type) {
		case string:
			if q != "" {
				return q
			}
		case []any:
			var words []string
			for _, w := range q {
				if w, ok := w.(string); ok && w != "" {
					words = append(words, w)
				}
			}
			if len(words) > 0 {
				return strings.Join(words, "; ")
			}
		}
	}
	return ""
}
