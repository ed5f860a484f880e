package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A body that did not arrive within its time (a client sending it a byte at
// a time, or stalled) was a 400 invalid_body "could not read the request
// body: read tcp 127.0.0.1:3000->127.0.0.1:51234: i/o timeout", which named
// neither the limit nor the client's part. It is now a 408 request_timeout
// that says so, in the envelope of the route's API.
//
// Nor was it answered: once the body's read failed, its deadline was lifted,
// and net/http read what was left of the body before sending the answer, for
// as long as the client kept the connection open. A route that does not read
// bodies (GET /health, an unknown path) had no deadline at all. Each such
// connection, with its goroutine, was held for good: a few thousand exhaust
// the server's file descriptors. Every route now answers within the body's
// time.
func TestABodyThatDoesNotArriveInTimeIsA408(t *testing.T) {
	s := New(Config{BodyTimeout: 200 * time.Millisecond}, Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	for _, tc := range []struct{ path, envelope string }{
		{"/v1/chat/completions", "openai"},
		{"/v1/messages", "anthropic"},
		{"/v1/responses", "openai"},
		{"/health", ""},
		{"/no/such/route", ""},
	} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		// Declared 100 bytes, sent one: the rest never comes.
		method := "POST"
		if tc.envelope == "" {
			method = "GET"
		}
		fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", method, tc.path)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			conn.Close() // else the server's Close waits for it
			t.Errorf("%s: no answer: %v", tc.path, err)
			continue
		}
		if tc.envelope == "" {
			resp.Body.Close()
			conn.Close()
			continue
		}
		var body struct {
			Type  string
			Error struct{ Type, Code, Message string }
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		conn.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(body.Error.Message, "did not arrive within 200ms") {
			t.Errorf("%s: %d %+v, want 408 saying the body did not arrive in time", tc.path, resp.StatusCode, body)
		}
		switch tc.envelope {
		case "openai":
			if body.Error.Code != "request_timeout" || body.Error.Type != "invalid_request_error" {
				t.Errorf("%s: %+v, want OpenAI's envelope with request_timeout", tc.path, body)
			}
		case "anthropic":
			if body.Type != "error" || body.Error.Type != "invalid_request_error" {
				t.Errorf("%s: %+v, want Anthropic's envelope", tc.path, body)
			}
		}
	}
}
