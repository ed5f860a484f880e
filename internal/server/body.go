package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"qwenproxy/internal/openai"
)

// readJSON reads a JSON request body within the size limit. Nothing is
// recorded for a body that fails here: it changes nothing.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request) ([]byte, *openai.Error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, &openai.Error{Status: http.StatusUnsupportedMediaType, Type: openai.TypeInvalidRequest, Code: "unsupported_media_type",
				Message: fmt.Sprintf("Content-Type must be application/json, not %q", ct)}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, &openai.Error{Status: http.StatusRequestEntityTooLarge, Type: openai.TypeInvalidRequest, Code: "request_too_large",
			Message: fmt.Sprintf("the request body exceeds the limit of %d bytes", tooBig.Limit)}
	case err != nil:
		return nil, openai.InvalidRequest("", "invalid_body", "could not read the request body: %v", err)
	}
	return body, nil
}
