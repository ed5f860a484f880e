package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
)

// statusClientClosed is recorded (never sent) for calls whose client left
// before an answer could be written.
const statusClientClosed = 499

// failure is how a call ended badly: what the client is told and what is
// recorded.
type failure struct {
	api     *openai.Error
	errType string
	cause   error
}

// ErrShuttingDown is the cause calls are cancelled with when the server
// stops before they finished.
var ErrShuttingDown = errors.New("the server is shutting down")

// shutdownFailure is a call cut because the server stopped: not the
// client's doing, and recorded as such.
func shutdownFailure(cause error) failure {
	return failure{api: &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeUnavailable, Code: "shutting_down",
		Message: "the proxy is shutting down; try again"}, errType: qp.ErrorTypeServerShuttingDown, cause: cause}
}

// errMaxDuration is the cause a call's context ends with when it runs past
// QWEN_MAX_DURATION.
var errMaxDuration = errors.New("the call ran past QWEN_MAX_DURATION")

// overtimeFailure is a call stopped at QWEN_MAX_DURATION.
func overtimeFailure(limit time.Duration, cause error) failure {
	return failure{api: &openai.Error{Status: http.StatusGatewayTimeout, Type: openai.TypeUpstream, Code: "upstream_max_duration", Final: true,
		Message: fmt.Sprintf("the answer took longer than %s (QWEN_MAX_DURATION); it was stopped", limit)},
		errType: qp.ErrorTypeUpstreamTimeout, cause: cause}
}

// uploadFailure is the failure of an image's upload that Qwen refused or
// failed (not found, refused, failed, unreadable), told as the upload's: it
// was "Qwen does not know this chat or message" for an upload endpoint
// that answered 404, and "Qwen refused the request" for an upload token
// refused. Its code stays the kind's; failures that are the account's or
// the network's (credentials, firewall, rate limit, timeout) are told as
// for any call.
func uploadFailure(err error, qe *qwen.Error, detail string) (failure, bool) {
	var ue *uploadError
	if !errors.As(err, &ue) {
		return failure{}, false
	}
	var code, what string
	switch qe.Kind {
	case qwen.KindNotFound:
		code, what = "upstream_not_found", "Qwen's image upload (POST /api/v2/files/getstsToken, then /api/v1/…) is not there"
	case qwen.KindBadRequest:
		code, what = "upstream_bad_request", "Qwen refused the upload of "+ue.what()
	case qwen.KindServer:
		code, what = "upstream_server_error", "Qwen failed to take "+ue.what()
	case qwen.KindBadResponse:
		code, what = "upstream_bad_response", "Qwen's answer to the upload of "+ue.what()+" was unreadable"
	default:
		return failure{}, false
	}
	return failure{api: &openai.Error{Status: http.StatusBadGateway, Type: openai.TypeUpstream, Code: code, Final: qe.Kind == qwen.KindBadRequest,
		Message: what + ": " + detail}, errType: qp.ErrorTypeUpstream, cause: err}, true
}

// classify maps an error from the upstream or the session layer.
func classify(err error) failure {
	if errors.Is(err, qp.ErrStoreUnavailable) { // before the deadlines: a database's timeout is its failure
		return failure{api: &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeUnavailable, Code: "database_unavailable",
			Message: "the proxy's database is unavailable (it did not answer, or refused the call: the proxy's log says which); try again"}, errType: qp.ErrorTypeDatabaseUnavailable, cause: err}
	}
	if errors.Is(err, errClientStalled) {
		return failure{api: &openai.Error{Status: statusClientClosed, Type: openai.TypeInvalidRequest, Code: "client_closed",
			Message: "the client stopped reading: a write to it waited WRITE_TIMEOUT"}, errType: qp.ErrorTypeClientDisconnect, cause: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return failure{api: &openai.Error{Status: statusClientClosed, Type: openai.TypeInvalidRequest, Code: "client_closed",
			Message: "the client closed the connection"}, errType: qp.ErrorTypeClientDisconnect, cause: err}
	}
	if f, ok := accountFailure(err); ok {
		return f
	}
	var unmet *unmetError
	if errors.As(err, &unmet) {
		// Final: the proxy has asked again already (the corrective turn);
		// an SDK's own retries would ask twice more each.
		return failure{api: &openai.Error{Status: http.StatusBadGateway, Type: openai.TypeUpstream, Code: unmet.code, Message: unmet.message, Final: true},
			errType: qp.ErrorTypeUpstream, cause: err}
	}
	var invalid *openai.Error
	if errors.As(err, &invalid) && invalid.Status == http.StatusBadRequest {
		// A client's input found bad during the turn (an image of a
		// replayed history that can no longer be read).
		return failure{api: invalid, errType: qp.ErrorTypeInvalidInput, cause: err}
	}
	qe, ok := qwen.AsError(err)
	if !ok {
		return failure{api: &openai.Error{Status: http.StatusInternalServerError, Type: openai.TypeServer, Code: "internal_error",
			Message: "internal error"}, errType: qp.ErrorTypeInternal, cause: err}
	}
	upstream := func(code, msg string) failure {
		return failure{api: &openai.Error{Status: http.StatusBadGateway, Type: openai.TypeUpstream, Code: code, Message: msg},
			errType: qp.ErrorTypeUpstream, cause: err}
	}
	detail := qe.Message
	if detail == "" && qe.Err != nil {
		detail = qe.Err.Error()
	}
	if f, ok := uploadFailure(err, qe, detail); ok {
		return f
	}
	switch qe.Kind {
	case qwen.KindNoCredentials:
		return failure{api: &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeUnavailable, Code: "credentials_missing", Final: true,
			Message: "no Qwen credentials are configured: set QWEN_COOKIES to a logged-in browser's Cookie header for chat.qwen.ai (its token=… is enough), or store one with `qwenproxy credentials set`"}, errType: qp.ErrorTypeNoCredentials, cause: err}
	case qwen.KindAuth:
		if qe.Forbidden() {
			// Not proof of refused credentials: the account rests
			// (accounts.ClassForbidden) and is tried again. A 502, which
			// the SDKs retry, as a firewall page's: a 401 was final for
			// them, and agents took it for their own key.
			f := upstream("upstream_forbidden", fmt.Sprintf("Qwen refused the call with HTTP 403 (%s): a ban of the account, or Qwen's firewall blocking this address; the account rests and is tried again, and is taken out only if it keeps being refused", detail))
			f.errType = qp.ErrorTypeUpstreamAuth
			return f
		}
		// Final (X-Should-Retry: false): the account is out until its
		// credentials change, so a resent call meets the same 401. Claude
		// Code retries a 401 with backoff unless told not to, and showed
		// the refusal only after three minutes of it.
		return failure{api: &openai.Error{Status: http.StatusUnauthorized, Type: openai.TypeAuthentication, Code: "upstream_credentials_rejected", Final: true,
			Message: fmt.Sprintf("Qwen rejected the configured credentials (%s); sign in to chat.qwen.ai in a browser and copy a fresh Cookie header", detail)},
			errType: qp.ErrorTypeUpstreamAuth, cause: err}
	case qwen.KindFirewall:
		f := upstream("upstream_firewall", "Qwen's firewall refused the call ("+detail+"): open chat.qwen.ai in a browser, pass any check it shows, and copy a fresh Cookie header; if it persists, update QWEN_WEB_VERSION")
		f.errType = qp.ErrorTypeUpstreamFirewall
		return f
	case qwen.KindRateLimited:
		retry := int(qe.RetryAfter.Seconds())
		return failure{api: rateLimited("Qwen rate limit reached: "+detail, retry), errType: qp.ErrorTypeRateLimited, cause: err}
	case qwen.KindTimeout:
		return failure{api: &openai.Error{Status: http.StatusGatewayTimeout, Type: openai.TypeUpstream, Code: "upstream_timeout",
			Message: "Qwen did not answer in time: " + detail}, errType: qp.ErrorTypeUpstreamTimeout, cause: err}
	case qwen.KindBusy:
		return upstream("chat_in_progress", "Qwen is still answering an earlier turn of this chat: "+detail)
	case qwen.KindStreamCut:
		f := upstream("upstream_stream_cut", "the answer from Qwen broke off: "+detail)
		f.errType = qp.ErrorTypeStreamCut
		return f
	case qwen.KindTooLarge:
		return upstream("upstream_answer_too_large", "Qwen's answer exceeded a bound and was stopped: "+detail)
	case qwen.KindEmptyAnswer:
		return upstream("upstream_empty_answer", detail)
	case qwen.KindNetwork:
		return upstream("upstream_unreachable", "cannot reach Qwen: "+detail)
	case qwen.KindServer:
		return upstream("upstream_server_error", "Qwen failed: "+detail)
	case qwen.KindNotFound:
		return upstream("upstream_not_found", "Qwen does not know this chat or message: "+detail)
	case qwen.KindTooLong:
		// OpenAI's answer to a conversation too long: agents compact their
		// history on its code, or on the start of Anthropic's message
		// ("prompt is too long: …"), and SDKs do not retry a 400.
		return failure{api: &openai.Error{Status: http.StatusBadRequest, Type: openai.TypeInvalidRequest, Code: "context_length_exceeded", Final: true,
			Message: "prompt is too long: the conversation is longer than the model's context (Qwen: " + detail + "); shorten it or start a new one"},
			errType: qp.ErrorTypeInvalidInput, cause: err}
	case qwen.KindBadRequest:
		// Not retried here, nor worth a client's retry: Qwen refuses the
		// request as such.
		f := upstream("upstream_bad_request", "Qwen refused the request: "+detail)
		if qe.ClientRefused() {
			f = upstream("upstream_bad_request", "Qwen refused the request ("+detail+"): it answers so to an outdated web client version or stale cookies; update QWEN_WEB_VERSION (see `qwenproxy doctor`) or copy a fresh Cookie header")
		}
		f.api.Final = true
		return f
	default:
		return upstream("upstream_bad_response", "unreadable answer from Qwen: "+detail)
	}
}
