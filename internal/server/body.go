package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"qwenproxy/internal/openai"
)

// readJSON reads a JSON request body within the size limit. Nothing is
// recorded for a body that fails here: it changes nothing.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request) ([]byte, *openai.Error) {
	// The common exact "application/json" needs no parsing (ParseMediaType
	// builds a map of parameters on every call).
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, &openai.Error{Status: http.StatusUnsupportedMediaType, Type: openai.TypeInvalidRequest, Code: "unsupported_media_type",
				Message: fmt.Sprintf("Content-Type must be application/json, not %q", clip(ct))}
		}
	}
	body, apiErr := s.readBounded(w, r)
	if apiErr != nil {
		return nil, apiErr
	}
	if depth := openai.Depth(body); depth > maxJSONDepth {
		return nil, openai.InvalidRequest("", "invalid_json", "the request body nests more than %d levels deep", maxJSONDepth)
	}
	return body, nil
}

// readBounded reads a request body whatever its type, uncompressed, within
// MAX_BODY_BYTES and the body's read deadline.
func (s *Server) readBounded(w http.ResponseWriter, r *http.Request) ([]byte, *openai.Error) {
	// A compressed body was read as JSON and refused as "malformed JSON at
	// byte 1: invalid character '\x1f'", which names no cause. The proxy
	// does not decompress (a small body could expand past any limit): it
	// says so.
	if ce := strings.TrimSpace(r.Header.Get("Content-Encoding")); ce != "" && !strings.EqualFold(ce, "identity") {
		return nil, &openai.Error{Status: http.StatusUnsupportedMediaType, Type: openai.TypeInvalidRequest, Code: "unsupported_content_encoding",
			Message: fmt.Sprintf("the request body is encoded (Content-Encoding: %s); send it uncompressed: the proxy does not decompress request bodies", clip(ce))}
	}
	// A client that waits for 100 Continue before it sends a body declared
	// too large (curl does, from 1 MiB) is refused before it sends any:
	// reading the body would ask for it, and the connection, closed after
	// the 413 with most of it unread, was reset under the client.
	if r.ContentLength > s.cfg.MaxBodyBytes && strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		return nil, tooLarge(s.cfg.MaxBodyBytes)
	}
	// A slow body cannot hold a connection forever (headers have their own
	// timeout); the deadline is lifted before the answer, which may stream.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout))
	contentLength := r.ContentLength
	if contentLength > s.cfg.MaxBodyBytes {
		contentLength = -1 // refused once the limit is read past
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes), contentLength)
	if err != nil {
		// What is left of the body is not waited for: net/http read it
		// before answering, with the deadline lifted for as long as the
		// client kept the connection open, so that a stalled body was
		// never answered at all.
		w.Header().Set("Connection", "close")
		return nil, bodyError(err, body, s.cfg.BodyTimeout)
	}
	_ = rc.SetReadDeadline(time.Time{})
	return body, nil
}

// bodyError is the client's error for a body that could not be read whole.
func bodyError(err error, body []byte, timeout time.Duration) *openai.Error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return tooLarge(tooBig.Limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		// It said "could not read the request body: read tcp
		// 127.0.0.1:3000->127.0.0.1:51234: i/o timeout", a 400 that named
		// neither the limit nor the client's part in it.
		return &openai.Error{Status: http.StatusRequestTimeout, Type: openai.TypeInvalidRequest, Code: "request_timeout",
			Message: fmt.Sprintf("the request body did not arrive within %v (%d of its bytes came): a body must be sent whole within that time", timeout, len(body))}
	}
	return openai.InvalidRequest("", "invalid_body", "could not read the request body: %v", err)
}

// tooLarge is the 413 for a body over limit (MAX_BODY_BYTES).
func tooLarge(limit int64) *openai.Error {
	return &openai.Error{Status: http.StatusRequestEntityTooLarge, Type: openai.TypeInvalidRequest, Code: "request_too_large",
		Message: fmt.Sprintf("the request body exceeds the limit of %d bytes (MAX_BODY_BYTES); an image or document sent inline, as a data: URL or base64, counts at 4/3 of its size (this limit takes one of under %d bytes)", limit, limit*3/4)}
}

// readBody reads a request body into one buffer that grows fourfold as
// bytes arrive, to the declared Content-Length (contentLength; -1 unknown)
// at most: a large body costs about 1.33 times its size in allocations. It
// was sized from Content-Length at once, so a client that declared 10 MiB
// and sent one byte made the server hold 10 MiB for the body's minute: 300
// such connections, 300 bytes sent, held 3 GB.
func readBody(r io.Reader, contentLength int64) ([]byte, error) {
	size := int64(firstBodyBuffer)
	if contentLength >= 0 && contentLength < size {
		size = contentLength + 1 // the extra byte reads the end without growing
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			more := int64(3 * len(buf))
			if contentLength >= 0 && int64(len(buf)) <= contentLength {
				more = min(more, contentLength+1-int64(len(buf)))
			}
			buf = slices.Grow(buf, int(max(more, 1)))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

const (
	// firstBodyBuffer is what a body is given before its bytes arrive.
	firstBodyBuffer = 64 << 10
	maxJSONDepth    = 64
)
