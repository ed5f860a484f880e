package server

import "net/http"

// eventStream is what every streaming output keeps of its server-sent event
// stream: whether it is open, and the first write error (the client left),
// after which nothing more is written.
type eventStream struct {
	c       *call
	rc      *http.ResponseController
	started bool
	err     error
}

func newEventStream(c *call) eventStream {
	return eventStream{c: c, rc: http.NewResponseController(c.w)}
}

// open sends the stream's headers.
func (e *eventStream) open() {
	e.started = true
	startEventStream(e.c)
}

func (e *eventStream) write(b []byte) error {
	if e.err == nil {
		e.err = writeEvent(e.c, b)
	}
	return e.err
}

func (e *eventStream) flush() {
	if e.started && e.err == nil {
		e.err = flushEvents(e.rc)
	}
}
