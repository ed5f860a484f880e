package server

import (
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
	mu        sync.Mutex
	committed bool
	answered  bool
}

func (p *paddedWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

func (p *paddedWriter) WriteHeader(code int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.committed {
		p.committed = true
		p.ResponseWriter.WriteHeader(code)
	}
}

func (p *paddedWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.committed {
		p.committed = true
		p.ResponseWriter.WriteHeader(http.StatusOK)
	}
	p.answered = true
	return p.ResponseWriter.Write(b)
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
		p.committed = true
		p.Header().Set("Content-Type", "application/json")
		p.ResponseWriter.WriteHeader(http.StatusOK)
	}
	if _, err := p.ResponseWriter.Write([]byte("\n")); err != nil {
		return false
	}
	return http.NewResponseController(p.ResponseWriter).Flush() == nil
}

// padWhileSlow makes c's answer a padded one: a newline after every
// interval without an answer. stop ends the padding and waits for it.
func padWhileSlow(c *call, every time.Duration) (stop func()) {
	p := &paddedWriter{ResponseWriter: c.w}
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
