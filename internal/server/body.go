package server

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
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
				Message: fmt.Sprintf("Content-Type must be application/json, not %q", ct)}
		}
	}
	// A compressed body was read as JSON and refused as "malformed JSON at
	// byte 1: invalid character '\x1f'", which names no cause. The proxy
	// does not decompress (a small body could expand past any limit): it
	// says so.
	if ce := strings.TrimSpace(r.Header.Get("Content-Encoding")); ce != "" && !strings.EqualFold(ce, "identity") {
		return nil, &openai.Error{Status: http.StatusUnsupportedMediaType, Type: openai.TypeInvalidRequest, Code: "unsupported_content_encoding",
			Message: fmt.Sprintf("the request body is encoded (Content-Encoding: %s); send it uncompressed: the proxy does not decompress request bodies", clip(ce))}
	}
	// A slow body cannot hold a connection forever (headers have their own
	// timeout); the deadline is lifted before the answer, which may stream.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout))
	// Sized from Content-Length when it is within the limit: reading a large
	// body into a growing buffer would allocate about twice its size.
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= s.cfg.MaxBodyBytes {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	body := buf.Bytes()
	_ = rc.SetReadDeadline(time.Time{})
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, &openai.Error{Status: http.StatusRequestEntityTooLarge, Type: openai.TypeInvalidRequest, Code: "request_too_large",
			Message: fmt.Sprintf("the request body exceeds the limit of %d bytes (MAX_BODY_BYTES); an image sent inline, as a data: URL or base64, counts at 4/3 of its size", tooBig.Limit)}
	case err != nil:
		return nil, openai.InvalidRequest("", "invalid_body", "could not read the request body: %v", err)
	}
	if depth := openai.Depth(body); depth > maxJSONDepth {
		return nil, openai.InvalidRequest("", "invalid_json", "the request body nests more than %d levels deep", maxJSONDepth)
	}
	return body, nil
}

const (
	bodyReadTimeout = time.Minute
	maxJSONDepth    = 64
)
