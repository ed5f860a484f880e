package openai

import (
	"encoding/json"
	"fmt"
	"net/http"
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

// MarshalJSON writes the envelope.
func (e *Error) MarshalJSON() ([]byte, error) {
	type body struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	}
	b := body{Message: e.Message, Type: e.Type}
	if e.Param != "" {
		b.Param = &e.Param
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
