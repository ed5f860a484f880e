package openai

import (
	"encoding/json"
	"fmt"
	"net/http"

	"qwenproxy/internal/clip"
)

// Error types of the OpenAI envelope.
const (
	TypeInvalidRequest = "invalid_request_error"
	TypeAuthentication = "authentication_error"
	TypeNotFound       = "not_found_error"
	TypeRateLimit      = "rate_limit_error"
	TypeUpstream       = "upstream_error"
	TypeServer         = "server_error"
	TypeUnavailable    = "service_unavailable"
)

// CodeRateLimitExceeded is OpenAI's code for a 429 rate limit: clients
// such as Codex and LiteLLM tell a rate limit from other 429s by it.
const CodeRateLimitExceeded = "rate_limit_exceeded"

// CodeInsufficientQuota is OpenAI's code for a 429 that waiting a moment
// does not end (a quota used up): Codex stops on it at once ("Quota
// exceeded") where, under CodeRateLimitExceeded, it sleeps the
// Retry-After before each of its retries.
const CodeInsufficientQuota = "insufficient_quota"

// Error is an API error: an HTTP status and the OpenAI error envelope
// {"error":{"message","type","param","code"}}.
type Error struct {
	Status  int
	Message string
	Type    string
	Param   string // "" encodes as null
	Code    string // "" encodes as null
	// RetryAfter, when set, is sent as a Retry-After header (seconds).
	RetryAfter int
	// Final marks a failure the same call cannot escape by being sent
	// again (no credentials, Qwen refusing the request as such, a call
	// that ran out its whole time): sent as X-Should-Retry: false, which
	// the OpenAI and Anthropic SDKs obey instead of retrying a 5xx.
	Final bool
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Message) }

// Bounds of an error as it is sent and recorded. Messages name what the
// client sent (a role, a sort field, a Content-Type, a query parameter),
// and a value of megabytes must not come back as an answer, a stream event
// or a record of megabytes: every message is bounded here, whatever it
// echoes, rather than at each of the many places that word one.
const (
	maxMessageBytes = 1024
	maxParamBytes   = 256
)

// SentMessage is the message as the client gets it and the record keeps
// it: bounded by leaving out its middle, where an echoed value lies, so
// that what was wrong and what to do stay.
func (e *Error) SentMessage() string { return clip.Middle(e.Message, maxMessageBytes) }

// SentParam is the param as the client gets it: a query parameter's name
// is the client's own.
func (e *Error) SentParam() string { return clip.Head(e.Param, maxParamBytes) }

// MarshalJSON writes the envelope.
func (e *Error) MarshalJSON() ([]byte, error) {
	type body struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	}
	b := body{Message: e.SentMessage(), Type: e.Type}
	if e.Param != "" {
		param := e.SentParam()
		b.Param = &param
	}
	if e.Code != "" {
		b.Code = &e.Code
	}
	return json.Marshal(struct {
		Error body `json:"error"`
	}{b})
}

// InvalidRequest is a 400 about one parameter.
func InvalidRequest(param, code, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Type: TypeInvalidRequest, Param: param, Code: code, Message: fmt.Sprintf(format, args...)}
}
