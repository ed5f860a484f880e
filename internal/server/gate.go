package server

import (
	"bytes"
	"net/http"
	"sync"
)

// gate holds a call's final bytes back until its record is durable
// (RECORDER_SYNC). Once closed, everything written — the status, the body,
// the last events of a stream, a flush — is kept in memory; open sends it.
// Until then it passes writes straight through. The client API's outputs
// need not know: they write as always.
type gate struct {
	http.ResponseWriter
	mu      sync.Mutex // the keep-alive writes from its own goroutine
	closed  bool
	status  int
	held    bytes.Buffer
	flushed bool // a flush was asked for while closed
}

// close starts holding writes back.
func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// open sends what was held back, and lets writes through again.
func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		return
	}
	g.closed = false
	if g.status != 0 {
		g.ResponseWriter.WriteHeader(g.status)
	}
	if g.held.Len() > 0 {
		_, _ = g.ResponseWriter.Write(g.held.Bytes()) // a client gone away was recorded already
	}
	if g.flushed || g.held.Len() > 0 {
		_ = http.NewResponseController(g.ResponseWriter).Flush()
	}
	g.held.Reset()
}

func (g *gate) WriteHeader(status int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		g.status = status
		return
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *gate) Write(b []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return g.held.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

// FlushError is what http.ResponseController calls to flush.
func (g *gate) FlushError() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		g.flushed = true
		return nil
	}
	return http.NewResponseController(g.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the connection's other controls.
func (g *gate) Unwrap() http.ResponseWriter { return g.ResponseWriter }
