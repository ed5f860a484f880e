package server

import "net/http"

// streamState is what every streaming output keeps of its server-sent event
// stream: whether it is open, and the first write error (the client left),
// after which nothing more is written.
type streamState struct {
	c       *call
	rc      *http.ResponseController
	started bool
	err     error
}

func newStreamState(c *call) streamState {
	return streamState{c: c, rc: http.NewResponseController(c.w)}
}

// open sends the stream's headers.
func (e *streamState) open() {
	e.started = true
	startEventStream(e.c)
}

func (e *streamState) write(b []byte) error {
	if e.err == nil {
		e.err = writeEvent(e.c, b)
	}
	return e.err
}

func (e *streamState) flush() {
	if e.started && e.err == nil {
		e.err = flushEvents(e.rc)
	}
}
