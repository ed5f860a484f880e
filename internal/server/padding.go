package server

import (
	"maps"
	"net/http"
	"sync"
	"time"
)

// paddedWriter keeps the client of a slow non-streamed answer (an image
// generation) from a silent wait: after every interval without an answer
// it commits the call to HTTP 200 (JSON) and sends a newline, which JSON
// parsers skip before the body. Once committed, the answer — or an error
// envelope — follows as the body; a later WriteHeader is dropped, since the
// status has gone out.
type paddedWriter struct {
	http.ResponseWriter
	// header is the handler's view of the response's headers. The padding
	// commits from its own goroutine, and net/http reads the response's
	// headers as it commits, so the handler (naming the session, writing
	// its answer) never writes them directly: its headers reach the
	// response when it commits the status itself, under mu, and are
	// dropped once the padding has sent the status first.
	header    http.Header
	mu        sync.Mutex
	committed bool
	answered  bool
	// status is the HTTP status that went out (0 before it has): a failure
	// after the padding reaches the client as a 200's body, and its record
	// must say 200 (see call.failNow).
	status int
}

func (p *paddedWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// Header is the handler's headers, sent with the status it commits.
func (p *paddedWriter) Header() http.Header { return p.header }

func (p *paddedWriter) WriteHeader(code int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.committed {
		p.commitHandlerLocked(code)
	}
}

func (p *paddedWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.committed {
		p.commitHandlerLocked(http.StatusOK)
	}
	p.answered = true
	return p.ResponseWriter.Write(b)
}

// commitHandlerLocked sends the handler's headers and status; only the
// handler's goroutine calls it, with p.mu held.
func (p *paddedWriter) commitHandlerLocked(code int) {
	h := p.ResponseWriter.Header()
	clear(h)
	maps.Copy(h, p.header)
	p.commitLocked(code)
}

// commitLocked sends the status; p.mu is held.
func (p *paddedWriter) commitLocked(code int) {
	p.committed, p.status = true, code
	p.ResponseWriter.WriteHeader(code)
}

// sentStatus is the status the client was sent, 0 while none has gone out.
func (p *paddedWriter) sentStatus() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// pad sends one newline, committing the call first; false once the answer
// has gone out or the client left.
func (p *paddedWriter) pad() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.answered {
		return false
	}
	if !p.committed {
		p.ResponseWriter.Header().Set("Content-Type", "application/json")
		p.commitLocked(http.StatusOK)
	}
	if _, err := p.ResponseWriter.Write([]byte("\n")); err != nil {
		return false
	}
	return http.NewResponseController(p.ResponseWriter).Flush() == nil
}

// padWhileSlow makes c's answer a padded one: a newline after every
// interval without an answer. stop ends the padding and waits for it.
func padWhileSlow(c *call, every time.Duration) (stop func()) {
	// The headers set so far (the request id) go with either commit.
	p := &paddedWriter{ResponseWriter: c.w, header: c.w.Header().Clone()}
	c.w = p
	return background(func(done <-chan struct{}) {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if !p.pad() {
					return
				}
			}
		}
	})
}
