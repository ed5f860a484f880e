package server

import "net/http"

// startEventStream sends the headers of a server-sent event stream: the
// call's answer is then committed to HTTP 200, whatever follows.
func startEventStream(c *call) {
	h := c.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	c.w.WriteHeader(http.StatusOK)
	c.wrote = true
	if m := c.metrics; m != nil {
		c.streaming = true
		m.ActiveStreams.Inc()
	}
	c.ex.Response.HTTPStatus = http.StatusOK
}

// writeEvent sends encoded events; a failed write means the client left.
func writeEvent(c *call, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := c.w.Write(b); err != nil {
		return errClientGone
	}
	return nil
}

// flushEvents pushes what was written to the client.
func flushEvents(rc *http.ResponseController) error {
	if rc.Flush() != nil {
		return errClientGone
	}
	return nil
}
