package qwen

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Kind classifies an upstream failure by what the caller should do about it.
type Kind string

const (
	KindNetwork       Kind = "network"        // could not reach Qwen
	KindTimeout       Kind = "timeout"        // no first byte, or a stalled stream
	KindAuth          Kind = "auth"           // credentials rejected (401/403/Unauthorized)
	KindFirewall      Kind = "firewall"       // WAF/anti-bot page instead of an answer
	KindRateLimited   Kind = "rate_limited"   // 429 or RateLimited envelope
	KindBusy          Kind = "chat_busy"      // "The chat is in progress!"
	KindServer        Kind = "server"         // Qwen 5xx or internal error
	KindBadRequest    Kind = "bad_request"    // Qwen refused the request
	KindNotFound      Kind = "not_found"      // chat or parent does not exist
	KindTooLong       Kind = "context_length" // ContextLengthExceeded: the conversation outgrew the model
	KindBadResponse   Kind = "bad_response"   // an answer we cannot read
	KindStreamCut     Kind = "stream_cut"     // the stream ended before "finished"
	KindEmptyAnswer   Kind = "empty_answer"   // an answer with no text at all
	KindNoCredentials Kind = "no_credentials" // nothing configured
)

// Error is every upstream failure, whatever form Qwen gave it.
type Error struct {
	Kind       Kind
	Status     int    // HTTP status, or x-actual-status-code for HTTP-200 envelopes
	Code       string // Qwen's data.code, when there was one
	Message    string
	RetryAfter time.Duration // from Retry-After or the RateLimited "num" hours
	Err        error
}

func (e *Error) Error() string {
	msg := "qwen: " + string(e.Kind)
	if e.Status != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Forbidden reports a refusal that is an HTTP 403 (or an envelope's
// x-actual-status-code 403) and says nothing more of the credentials: no
// Unauthorized code, no invalid or expired token, no ended session. One
// peer reads a 403 as a ban (qwen-2026.md §1.3); the firewall, per address
// and moving (§5), answers with it too, and not always with a page bearing
// its markers. One such answer is not proof the credentials are refused.
func (e *Error) Forbidden() bool {
	if e.Kind != KindAuth || e.Status != http.StatusForbidden || strings.EqualFold(e.Code, "Unauthorized") {
		return false
	}
	lower := strings.ToLower(e.Message)
	return !strings.Contains(lower, "invalid token") && !strings.Contains(lower, "token has expired") && !sessionEnded(lower)
}

// Retryable reports whether another attempt may succeed. Timeouts are not
// retried: the client has already waited the whole timeout.
func (e *Error) Retryable() bool {
	switch e.Kind {
	case KindNetwork, KindRateLimited, KindBusy, KindServer, KindEmptyAnswer:
		return true
	}
	return false
}

// AsError returns err as an upstream *Error, if it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// ErrNoCredentials is returned when no Qwen credentials are configured.
var ErrNoCredentials = &Error{Kind: KindNoCredentials, Message: "no Qwen credentials are configured"}
