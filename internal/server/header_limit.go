package server

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"

	"qwenproxy/internal/anthropic"
	"qwenproxy/internal/openai"
)

// MaxHeaderBytes bounds a request's headers (net/http's MaxHeaderBytes; it
// reads up to 4 KiB more before it refuses them).
const MaxHeaderBytes = 1 << 20

// goHeadersTooLarge is what net/http writes, straight to the connection and
// before any handler runs, when a request's headers pass MaxHeaderBytes:
// text/plain that no client SDK reads as an API error.
const goHeadersTooLarge = "HTTP/1.1 431 Request Header Fields Too Large\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n" +
	"431 Request Header Fields Too Large"

// HeaderLimitAnswers wraps ln so that a request refused for its headers'
// size gets its 431 as an API error in its client API's envelope
// (Anthropic's on the Messages routes, OpenAI's elsewhere), as every other
// limit's refusal is, instead of net/http's text. The route is the one of
// the last request line the connection read: the headers that follow it
// were never parsed, so Anthropic-Version cannot be looked at.
func HeaderLimitAnswers(ln net.Listener, limit int) net.Listener {
	return &headerLimitListener{Listener: ln, answers: [2][]byte{
		headersTooLargeAnswer(false, limit), headersTooLargeAnswer(true, limit)}}
}

type headerLimitListener struct {
	net.Listener
	answers [2][]byte // OpenAI's, Anthropic's
}

func (l *headerLimitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &headerLimitConn{Conn: c, answers: &l.answers}, nil
}

// headerLimitConn notes whether the last request line read named a
// Messages route, and rewrites net/http's 431. It is not an io.ReaderFrom,
// as the connection it wraps is not (see deadlineConn).
type headerLimitConn struct {
	net.Conn
	answers   *[2][]byte
	anthropic atomic.Bool // written by reads, read by the 431's write
}

func (c *headerLimitConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if path, ok := requestLinePath(b[:n]); ok {
		c.anthropic.Store(messagesRoute(path))
	}
	return n, err
}

func (c *headerLimitConn) Write(b []byte) (int, error) {
	if string(b) != goHeadersTooLarge {
		return c.Conn.Write(b)
	}
	answer := c.answers[0]
	if c.anthropic.Load() {
		answer = c.answers[1]
	}
	if _, err := c.Conn.Write(answer); err != nil {
		return 0, err
	}
	return len(b), nil
}

// CloseWrite half-closes the connection, as net/http does after its 431.
func (c *headerLimitConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// messagesRoute is anthropicPath of a path still in a read's bytes, which
// it makes no string of (string(b) == s compares in place).
func messagesRoute(path []byte) bool {
	const p = "/v1/messages"
	return string(path) == p || len(path) > len(p) && path[len(p)] == '/' && string(path[:len(p)]) == p
}

// requestLinePath is the path (without its query) of the request line b
// begins with, if it begins with one: a method of capital letters, a space,
// then a path. A read that begins mid-request (a body's next bytes) is
// none, but for a body that happens to begin like one.
func requestLinePath(b []byte) ([]byte, bool) {
	i := 0
	for i < len(b) && i < 16 && b[i] >= 'A' && b[i] <= 'Z' {
		i++
	}
	if i == 0 || i+1 >= len(b) || b[i] != ' ' || b[i+1] != '/' {
		return nil, false
	}
	rest := b[i+1:]
	for j, ch := range rest {
		if ch == ' ' || ch == '?' || ch == '\r' || ch == '\n' || j == 256 {
			return rest[:j], true
		}
	}
	return rest, true
}

// headersTooLargeAnswer is the 431 a request with headers over limit gets,
// in Anthropic's envelope or OpenAI's.
func headersTooLargeAnswer(anthropicEnvelope bool, limit int) []byte {
	e := &openai.Error{Status: http.StatusRequestHeaderFieldsTooLarge, Type: "invalid_request_error",
		Code: "request_headers_too_large",
		Message: fmt.Sprintf("the request headers exceed the limit of %d bytes; send less in them "+
			"(the client's own headers, cookies)", limit)}
	var body []byte
	if anthropicEnvelope {
		body = anthropic.ErrorBody(e, "")
	} else {
		body, _ = json.Marshal(e) // its envelope, of strings only: cannot fail
	}
	return fmt.Appendf(nil, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
}
