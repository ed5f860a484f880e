package qwen

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// finishedAnswer is a whole answer, its last event the finished status.
const finishedAnswer = okStream +
	"data: {\"choices\": [{\"delta\": {\"content\": \"\", \"role\": \"assistant\", \"status\": \"finished\", \"phase\": \"answer\"}}]}\n\n"

// endsLater serves finishedAnswer, flushed, and then holds the body open
// until the test lets it end (or writes more after it, with tail): the end
// of the body reaches the client apart from the answer, as it does through
// Qwen's front servers. It counts the connections the client opened.
func endsLater(t *testing.T, tail string) (c *Client, conns *atomic.Int32, end chan struct{}) {
	t.Helper()
	end = make(chan struct{})
	conns = &atomic.Int32{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/models") {
			io.WriteString(w, `{"success":true,"data":{"data":[]}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, finishedAnswer)
		w.(http.Flusher).Flush()
		if tail != "" {
			io.WriteString(w, tail)
			w.(http.Flusher).Flush()
		}
		select {
		case <-end:
		case <-r.Context().Done():
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c = New(Config{BaseURL: srv.URL, Credentials: StaticCredentials{Token: "tok", Cookies: "c=1"}, Timeout: 2 * time.Second})
	return c, conns, end
}

// readToFinished reads a stream up to its finished event.
func readToFinished(t *testing.T, s *Stream) {
	t.Helper()
	for {
		ev, err := s.Next()
		if err != nil {
			t.Fatalf("stream ended before its finished event: %v", err)
		}
		if ev.Finished {
			return
		}
	}
}

// An answer read to its end and finished leaves its connection to the next
// call, even when the body's end arrives after the answer and after the
// caller is done: every call used to dial (and, against chat.qwen.ai, shake
// hands over TLS) anew.
func TestFinishedStreamLeavesItsConnectionToTheNextCall(t *testing.T) {
	c, conns, end := endsLater(t, "")
	for i := range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		s, _, _, err := c.Complete(ctx, NewCompletionRequest("chat", "", "qwen3-max", time.Now(), MessageSpec{Role: "user", Content: "hi"}))
		if err != nil {
			t.Fatal(err)
		}
		readToFinished(t, s)
		released := s.Finish()
		cancel() // the caller is gone before the body ends: the end is still read
		if i == 0 {
			close(end)
		}
		<-released
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("three finished calls opened %d connections, want 1", n)
	}
}

// What follows a finished answer is read only up to a bound: a body that
// goes on is dropped with its connection rather than read for ever.
func TestFinishReadsBoundedTail(t *testing.T) {
	c, conns, end := endsLater(t, strings.Repeat(": keep-alive\n", finishDrainBytes/8))
	defer close(end)
	for range 2 {
		s, _, _, err := c.Complete(context.Background(), NewCompletionRequest("chat", "", "qwen3-max", time.Now(), MessageSpec{Role: "user", Content: "hi"}))
		if err != nil {
			t.Fatal(err)
		}
		readToFinished(t, s)
		<-s.Finish() // returns although the body never ends
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("two calls whose bodies never ended shared connections (%d), want 2", n)
	}
}

// The caller giving up still ends the upstream request: it is detached only
// by Finish, once the answer is whole.
func TestCallerCancelStillEndsTheUpstreamRequest(t *testing.T) {
	c, _, end := endsLater(t, "")
	defer close(end)
	ctx, cancel := context.WithCancel(context.Background())
	s, _, _, err := c.Complete(ctx, NewCompletionRequest("chat", "", "qwen3-max", time.Now(), MessageSpec{Role: "user", Content: "hi"}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	readToFinished(t, s)
	cancel()
	_, err = s.Next() // the body is held open: only the cancellation ends this read
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("read after the caller gave up: %v, want context.Canceled", err)
	}
}

// An answer whose body's end came with its last event (read already, the
// connection already back in the pool) is finished at once: no goroutine is
// left to read an end that is already read, and released is closed when
// Finish returns. It used to start one, and a timer, for every call.
func TestFinishOfAnAnswerReadToItsEndIsImmediate(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, finishedAnswer) // not flushed: the body and its end go out in one write
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := New(Config{BaseURL: srv.URL, Credentials: StaticCredentials{Token: "tok", Cookies: "c=1"}, Timeout: 2 * time.Second})
	for range 3 {
		s, _, _, err := c.Complete(context.Background(), NewCompletionRequest("chat", "", "qwen3-max", time.Now(), MessageSpec{Role: "user", Content: "hi"}))
		if err != nil {
			t.Fatal(err)
		}
		readToFinished(t, s)
		select {
		case <-s.Finish():
		default:
			t.Fatal("Finish left an answer already read to its end to another goroutine")
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("three finished calls opened %d connections, want 1", n)
	}
}
