package server

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// eventStream is a streaming call's server-sent event stream, shared by
// every client API. The answer writes its events through it while a
// keep-alive goroutine may open it or write comments when the answer is
// silent, so every write (and the status the call has sent) is under mu.
type eventStream struct {
	c  *call
	rc *http.ResponseController

	mu      sync.Mutex
	open    bool
	opening func() []byte // the API's first events (role chunk, message_start, …), made on opening
	// keepAliveEvent is what a silence gets once the stream is open: the
	// API's own keep-alive event (Anthropic's ping), or nil for a comment.
	keepAliveEvent []byte
	err            error // errClientGone once a write failed

	// writes counts the writes to the client: the keep-alive reads silence
	// from it not changing, which costs a write an atomic add where a clock
	// read (~70 ns here, on every event of every stream) cost more.
	writes atomic.Int64
}

// keepAliveComment is an SSE comment: every client API's parser skips it,
// and intermediaries see a byte.
var keepAliveComment = []byte(": keep-alive\n\n")

// events returns the call's event stream, made on first use.
func (c *call) events() *eventStream {
	if c.stream == nil {
		c.stream = &eventStream{c: c, rc: http.NewResponseController(c.w)}
	}
	return c.stream
}

// setOpening registers how the stream's first events (the API's role chunk,
// message_start, response.created, …) are made, for whoever opens it: the
// answer's output when upstream answers, or the keep-alive when upstream is
// slow. It runs once, under the stream's lock, before any other event is
// written, so it may use the output's encoder.
func (e *eventStream) setOpening(opening func() []byte) {
	e.mu.Lock()
	e.opening = opening
	e.mu.Unlock()
}

// setKeepAlive registers the API's keep-alive event, sent instead of a
// comment.
func (e *eventStream) setKeepAlive(event []byte) {
	e.mu.Lock()
	e.keepAliveEvent = event
	e.mu.Unlock()
}

// isOpen reports whether the stream has opened (the call is then committed
// to HTTP 200: a failure is an error event).
func (e *eventStream) isOpen() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.open
}

// startEventStream opens c's event stream if it is not open yet: the headers,
// then the registered opening events, flushed.
func startEventStream(c *call) error {
	e := c.events()
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.openLocked()
}

func (e *eventStream) openLocked() error {
	if e.open {
		return e.err
	}
	if err := e.openUnflushedLocked(); err != nil {
		return err
	}
	return e.flushLocked()
}

// openUnflushedLocked writes the headers and the opening events without
// flushing them: for a caller that flushes soon after (see
// streamWriter.openStream).
func (e *eventStream) openUnflushedLocked() error {
	if e.open || e.err != nil {
		return e.err
	}
	c := e.c
	if c.wrote {
		// An error already went out as the HTTP answer.
		e.err = errClientGone
		return e.err
	}
	h := c.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	c.w.WriteHeader(http.StatusOK)
	c.wrote, e.open = true, true
	c.live.update(func(a *activeCall) { a.streaming = true })
	if m := c.metrics; m != nil {
		c.streaming = true
		m.ActiveStreams.Inc()
	}
	c.ex.Response.HTTPStatus = http.StatusOK
	if e.opening != nil {
		return e.writeLocked(e.opening())
	}
	return nil
}

// writeEvent sends encoded events, opening the stream first if need be; a
// failed write means the client left.
func writeEvent(c *call, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	e := c.events()
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.openLocked(); err != nil {
		return err
	}
	return e.writeLocked(b)
}

func (e *eventStream) writeLocked(b []byte) error {
	if e.err != nil || len(b) == 0 {
		return e.err
	}
	if _, err := e.c.w.Write(b); err != nil {
		e.err = clientGone(err)
	}
	e.writes.Add(1)
	return e.err
}

// flushEvents pushes what was written to the client.
func flushEvents(c *call) error {
	e := c.events()
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.open {
		return e.err
	}
	return e.flushLocked()
}

func (e *eventStream) flushLocked() error {
	if e.err == nil {
		if err := e.rc.Flush(); err != nil {
			e.err = clientGone(err)
		}
	}
	return e.err
}

// setSession names the call's session: in the record, and in the
// X-Session-Id header while it can still go out (before a stream opens;
// the keep-alive may be opening it at the same time, and the opening events
// may name the session).
func (c *call) setSession(id string) {
	if e := c.stream; e != nil {
		e.mu.Lock()
		defer e.mu.Unlock()
	}
	c.ex.Request.SessionID = id
	if c.stream == nil || !c.stream.open {
		c.w.Header().Set("X-Session-Id", id)
	}
}

// keepAlive keeps a streaming call from going silent while its answer is
// slow (upstream not answering yet, retries, an answer held to be checked
// whole): before an interval passes without a byte (it looks every quarter
// interval, and acts on the third look that finds none: after 3/4 to 4/4 of
// it) it opens the stream, or, once open, sends a comment (or the API's
// keep-alive event). stop ends it and waits for a keep-alive being sent to
// finish. It runs on a timer, not a goroutine of its own: a call that
// answers within the interval (nearly every one) costs a timer set and
// stopped, no goroutine to start, wake and wait for.
func (e *eventStream) keepAlive(every time.Duration) (stop func()) {
	k := &keepAliver{e: e, every: every, step: max(every/keepAliveLooks, 1)}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.seen = e.writes.Load()
	k.timer = time.AfterFunc(k.step, k.tick)
	return k.stop
}

// keepAliveLooks is how often per interval the keep-alive looks for
// silence.
const keepAliveLooks = 4

// keepAliver is one stream's keep-alive timer. mu is held while a tick runs,
// so that stop, which takes it, returns only once no tick is writing.
type keepAliver struct {
	e           *eventStream
	every, step time.Duration
	seen        int64         // the stream's write count at the last look
	quiet       time.Duration // how long it has not changed, to a step
	mu          sync.Mutex
	timer       *time.Timer
	stopped     bool
}

func (k *keepAliver) tick() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return
	}
	e := k.e
	if n := e.writes.Load(); n != k.seen {
		k.seen, k.quiet = n, 0
	} else {
		k.quiet += k.step
	}
	if k.quiet < k.every-k.step {
		k.timer.Reset(k.step)
		return
	}
	e.mu.Lock()
	err := e.err
	if err == nil {
		if e.open {
			ping := keepAliveComment
			if e.keepAliveEvent != nil {
				ping = e.keepAliveEvent
			}
			err = e.writeLocked(ping)
			if err == nil {
				err = e.flushLocked()
			}
		} else {
			err = e.openLocked()
		}
	}
	k.seen, k.quiet = e.writes.Load(), 0 // silence counts from this keep-alive
	e.mu.Unlock()
	if err == nil {
		k.timer.Reset(k.step)
	}
}

func (k *keepAliver) stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	k.timer.Stop()
}

// background runs loop in a goroutine until stop is called (loop then
// sees done closed); stop waits for it to exit, and may be called again.
func background(loop func(done <-chan struct{})) (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		loop(done)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-exited
		})
	}
}

// streamWriter is what every streaming output writes through: the call's
// event stream, and the first write error (the client left), after which
// nothing more is written.
type streamWriter struct {
	call *call
	err  error
}

// optionalStream is the stream of an output that answers as a stream or
// whole, as the client asked (Messages, Responses): start and flush act
// only when it streams.
type optionalStream struct {
	streamWriter
	stream  bool
	started bool // upstream has begun to answer
}

// start opens the stream (if the keep-alive has not) with the opening
// events the output registered.
func (o *optionalStream) start() {
	if !o.stream {
		return
	}
	o.started = true
	o.openStream()
}

func (o *optionalStream) flush() {
	if o.stream {
		o.flushStream()
	}
}

// openStream opens the call's event stream, if the keep-alive has not,
// without flushing: it is called once upstream has answered, and the pump
// that follows flushes with the answer's first piece, or as soon as upstream
// has nothing more buffered. The headers then go out with the first token in
// one write instead of two.
func (w *streamWriter) openStream() {
	if w.err == nil {
		e := w.call.events()
		e.mu.Lock()
		w.err = e.openUnflushedLocked()
		e.mu.Unlock()
	}
}

func (w *streamWriter) write(b []byte) error {
	if w.err == nil {
		w.err = writeEvent(w.call, b)
	}
	return w.err
}

// flushStream sends what was written.
func (w *streamWriter) flushStream() {
	if w.err == nil {
		w.err = flushEvents(w.call)
	}
}
