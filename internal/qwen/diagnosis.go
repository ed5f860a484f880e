package qwen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// Diagnosis names a known failure of the upstream and what to do about it.
// Code is the exit status `qwenproxy doctor` ends with for it (0 for none).
type Diagnosis struct {
	Name   string `json:"name"`
	Code   int    `json:"exit_code"`
	Advice string `json:"advice"`
}

// The diagnoses, one exit status each (1 and 2 are the CLI's own: an error
// of the command, a usage error).
var (
	DiagnosisOK            = Diagnosis{"ok", 0, "Qwen answered every step"}
	DiagnosisNoCredentials = Diagnosis{"no_credentials", 3,
		"configure an account: set QWEN_ACCOUNTS to email:password (or store one with `qwenproxy accounts add --email E`), or set QWEN_COOKIES to the Cookie header of a logged-in chat.qwen.ai browser tab (its token=… is enough; or store it with `qwenproxy credentials set`)"}
	DiagnosisFirewall = Diagnosis{"firewall", 4,
		"Qwen's firewall or risk control refused the call: open chat.qwen.ai in the same browser, pass any check it shows, and copy a fresh Cookie header; a bx-umidtoken (QWEN_TOKEN) from that tab may help"}
	DiagnosisOutdatedClient = Diagnosis{"outdated_web_version", 5,
		"Qwen answered Bad_Request \"Internal error…\", its answer to an outdated web client: set QWEN_WEB_VERSION to the Version header your browser sends to chat.qwen.ai (developer tools, any /api/ call); if that does not help, copy a fresh Cookie header"}
	DiagnosisCredentialsRejected = Diagnosis{"credentials_rejected", 6,
		"the login token is expired or was rejected: sign in to chat.qwen.ai in a browser and copy a fresh Cookie header (token=…)"}
	DiagnosisTooManyMessages = Diagnosis{"too_many_messages", 7,
		"Qwen refused a request with more than one message: this proxy sends one; report it with the output of `qwenproxy doctor --json`"}
	DiagnosisRateLimited = Diagnosis{"rate_limited", 8, "the account reached Qwen's usage limit: wait, or use another account"}
	DiagnosisUnreachable = Diagnosis{"unreachable", 9, "cannot reach Qwen: check QWEN_BASE_URL, the network and any proxy"}
	DiagnosisTimeout     = Diagnosis{"timeout", 10, "Qwen did not answer in time: try again later, or raise QWEN_TIMEOUT"}
	DiagnosisUpstream    = Diagnosis{"upstream_failure", 11, "Qwen failed in a way without a known remedy: try again later; the step's error says more"}
	// DiagnosisUnknownModel is a configured model (DEFAULT_MODEL, a
	// MODEL_MAP target, --model) that Qwen's model list does not have: a
	// fault of the configuration, not of Qwen, which Diagnose never sees.
	DiagnosisUnknownModel = Diagnosis{"unknown_model", 12,
		"a configured model is not one of Qwen's (the model-list step names it, and the models Qwen lists): correct DEFAULT_MODEL, MODEL_MAP or --model; the proxy refuses the calls sent to it with 404 model_not_found"}
	// DiagnosisCredentialsLocked is stored credentials (a password `accounts
	// add` stored, a cookie `credentials set` stored) that no key given to
	// this process opens: nothing reached Qwen, which refused nothing (the
	// check said credentials_rejected and sent the operator to the password).
	DiagnosisCredentialsLocked = Diagnosis{"credentials_locked", 13,
		"the stored credentials cannot be opened: set QWENPROXY_SECRET_KEY to the key that sealed them (the one they were stored with, or given to `accounts rekey` since), or store them again"}
)

// Diagnose names the failure err is.
func Diagnose(err error) Diagnosis {
	if err == nil {
		return DiagnosisOK
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return DiagnosisTimeout
	}
	qe, ok := AsError(err)
	if !ok {
		return DiagnosisUpstream
	}
	switch {
	case qe.Kind == KindNoCredentials:
		return DiagnosisNoCredentials
	case qe.Kind == KindFirewall:
		return DiagnosisFirewall
	case qe.ClientRefused():
		return DiagnosisOutdatedClient
	case qe.Forbidden():
		d := DiagnosisCredentialsRejected
		d.Advice = "Qwen answered HTTP 403: a ban of the account, or as likely Qwen's firewall blocking this address; if chat.qwen.ai works in a browser on the same network, copy a fresh Cookie header from it"
		return d
	case qe.Kind == KindAuth:
		return DiagnosisCredentialsRejected
	case qe.Kind == KindBadRequest && strings.Contains(strings.ToLower(qe.Message), "too many messages"):
		return DiagnosisTooManyMessages
	case qe.Throttled():
		d := DiagnosisRateLimited
		d.Advice = "Qwen asked the account to slow down (too many calls in a short time): wait a few seconds, or spread the calls over more accounts"
		return d
	case qe.Kind == KindRateLimited:
		d := DiagnosisRateLimited
		if h := qe.RetryAfter.Hours(); h >= 1 {
			d.Advice = fmt.Sprintf("the account reached Qwen's usage limit: Qwen says to wait %.0f hours, or use another account", h)
		}
		return d
	case qe.Kind == KindNetwork && (errors.Is(qe, syscall.EMFILE) || errors.Is(qe, syscall.ENFILE)):
		// The proxy could not open a socket at all: Qwen, the network and
		// QWEN_BASE_URL are not in question, and the advice sent the
		// operator to look at them.
		d := DiagnosisUnreachable
		d.Advice = "the proxy has no file descriptors left to reach Qwen: more calls and clients at once than its limit of open files allows; raise it (ulimit -n, systemd's LimitNOFILE)"
		return d
	case qe.Kind == KindNetwork:
		return DiagnosisUnreachable
	case qe.Kind == KindTimeout:
		return DiagnosisTimeout
	case qe.Kind == KindTooLong:
		d := DiagnosisUpstream
		d.Advice = "Qwen said the conversation is longer than the model takes (ContextLengthExceeded): not a passing failure, so trying again will not help; ask another model (--model, DEFAULT_MODEL)"
		return d
	}
	return DiagnosisUpstream
}
