package server

import (
	"errors"
	"math"
	"net/http"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/openai"
)

// accountFailure maps the account pool's errors: no account can take the
// call (429 with Retry-After when every account is over its quota, 401 when
// Qwen refused every account, 503 otherwise), or a sign-in that failed.
func accountFailure(err error) (failure, bool) {
	var u *accounts.Unavailable
	if errors.As(err, &u) {
		retry := int(math.Ceil(u.RetryAfter.Seconds())) // as the message says it (Unavailable.Error)
		switch u.Reason {
		case accounts.ReasonNone:
			return failure{api: &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeUnavailable, Code: "credentials_missing", Final: true,
				Message: "no Qwen credentials are configured: set QWEN_ACCOUNTS (or `qwenproxy accounts add`), or QWEN_COOKIES to a logged-in browser's Cookie header for chat.qwen.ai"},
				errType: qp.ErrorTypeNoCredentials, cause: err}, true
		case accounts.ReasonRateLimited:
			return failure{api: rateLimited(u.Error(), retry), errType: qp.ErrorTypeRateLimited, cause: err}, true
		case accounts.ReasonRejected:
			// Final: every account is out until its credentials change,
			// which no resend of the call brings about (see classify).
			return failure{api: &openai.Error{Status: http.StatusUnauthorized, Type: openai.TypeAuthentication, Code: "upstream_credentials_rejected", Final: true,
				Message: u.Error()}, errType: qp.ErrorTypeUpstreamAuth, cause: err}, true
		}
		return failure{api: &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeUnavailable, Code: "accounts_unavailable",
			Message: u.Error(), RetryAfter: retry}, errType: qp.ErrorTypeAccountsUnavailable, cause: err}, true
	}
	var se *accounts.SignInError
	if errors.As(err, &se) {
		f := classify(se.Upstream())
		if se.Class == accounts.ClassAuth && f.api != nil { // a refused password: no cookie would help
			f.api.Message = "Qwen refused the account's sign-in (" + se.Message + "); check its e-mail and password"
		}
		return f, true
	}
	return failure{}, false
}
