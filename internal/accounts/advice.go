package accounts

import (
	"errors"
	"fmt"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
)

// RejectedAdvice says what to do when Qwen refuses the credentials of
// account id, from source (qp.AccountStored, qp.AccountEnvironment, or the
// cookie account's id): for the pasted cookie, capture a fresh one; for an
// account the proxy signs in with an e-mail and password, check those where
// they come from — QWEN_ACCOUNTS / QWEN_ACCOUNTS_FILE, or `accounts add` (a
// cookie would not help: the proxy makes its own).
func RejectedAdvice(id, source string) string {
	switch {
	case id == CookieID:
		return qwen.DiagnosisCredentialsRejected.Advice
	case source == qp.AccountEnvironment:
		return "Qwen refused the sign-in of " + id + ": check its e-mail and password in QWEN_ACCOUNTS (or QWEN_ACCOUNTS_FILE), where its password comes from, and restart the server"
	case source == qp.AccountStored:
		return "Qwen refused the sign-in of " + id + ": check its e-mail and password (store the password again with `qwenproxy accounts add --email " + id + "`)"
	}
	return "Qwen refused the sign-in of " + id + ": check its e-mail and password (`qwenproxy accounts add --email " + id +
		"` again, or correct QWEN_ACCOUNTS / QWEN_ACCOUNTS_FILE)"
}

// TokenRefusedAdvice says what to do when Qwen refused the token that
// account id got from a sign-in Qwen took — a fresh one too (Report): its
// password is right, so checking it and restarting, RejectedAdvice, does
// not bring it back (the refusal lasts until the password changes);
// `accounts reset` does.
func TokenRefusedAdvice(id string) string {
	return "Qwen took the password of " + id + " but refused the token its sign-in got, a fresh one too (a block of the account, or of this address): " +
		"sign in to chat.qwen.ai as " + id + " in a browser to see that the account works, then run `qwenproxy accounts reset " + id +
		"` to have it tried again (a restart with the same password does not: the refusal lasts until the password changes)"
}

// sharedRefusalAdvice is the advice for a refusal read from the shared
// state (another instance's, or this one's before a restart), which does
// not say whether Qwen refused the password or the token it got.
func sharedRefusalAdvice(id, source string) string {
	if id == CookieID {
		return RejectedAdvice(id, source)
	}
	return RejectedAdvice(id, source) + "; if the password is right (Qwen may have refused the token a sign-in got, not the password: " +
		"the first instance's log says which), run `qwenproxy accounts reset " + id + "` instead, as a restart with the same password leaves it out"
}

// lockedError is the error of an account whose stored secret this process
// cannot open: an auth error, as a call sees it, but Qwen never saw the
// secret, so the advice is the key, not the password.
type lockedError struct{ err *qwen.Error }

func (e lockedError) Error() string { return e.err.Error() }
func (e lockedError) Unwrap() error { return e.err }

// ForbiddenAdvice says what to do when Qwen answers a bare HTTP 403 to
// account id, which the proxy signs in: a ban, or as likely Qwen's
// firewall blocking this address — its password was not refused, so
// neither checking it nor a cookie helps. out says that forbiddenStrikes
// of them in a row took the account out (Pool.forbid); before that it
// only rests.
func ForbiddenAdvice(id string, out bool) string {
	tell := "sign in to chat.qwen.ai as " + id + " in a browser on the proxy's network to tell which"
	if !out {
		return "Qwen answered HTTP 403 to the call made as " + id + ": a ban of the account, or as likely Qwen's firewall blocking this address; " +
			"it rests (QWEN_FAILURE_COOLDOWN) and is tried again; " + tell
	}
	if id == CookieID {
		// No password to speak of, and no `accounts reset`: its state is
		// each server's own, in memory, and does not end by itself.
		return fmt.Sprintf("Qwen answered HTTP 403 to the pasted cookie %d times in a row, each after a rest: a ban of its account, or as likely Qwen's firewall blocking this address "+
			"(the cookie was not said to be invalid); it is not used until it changes or the server restarts; "+
			"sign in to chat.qwen.ai in a browser on the proxy's network to tell which, then %s", forbiddenStrikes, cookieOutRemedy)
	}
	return fmt.Sprintf("Qwen answered HTTP 403 to %s %d times in a row, each after a rest: a ban of the account, or as likely Qwen's firewall blocking this address "+
		"(its password was not refused); it is not used until its credentials change or it is reset; %s, then `qwenproxy accounts reset %s` once Qwen serves it again",
		id, forbiddenStrikes, tell, id)
}

// cookieOutRemedy is what brings the pasted cookie back once repeated
// bare 403s took it out: `accounts reset` does not (its state is each
// server's own, in memory), and the state does not end by itself.
const cookieOutRemedy = "copy a fresh Cookie header from a browser where chat.qwen.ai works (`qwenproxy credentials set`, or QWEN_COOKIES), " +
	"or restart the server (the pasted cookie's state is in memory: not `accounts reset`)"

// forbiddenOut is the error of an account out after repeated bare 403s
// (Pool.forbid): an auth error, as a call sees it, whose advice is
// ForbiddenAdvice, not the password's.
type forbiddenOut struct{ err *qwen.Error }

func (e forbiddenOut) Error() string { return e.err.Error() }
func (e forbiddenOut) Unwrap() error { return e.err }

// LockedAdvice says what to do about locked account id.
func LockedAdvice(id string) string {
	if id == CookieID {
		return "the stored cookie cannot be opened: set QWENPROXY_SECRET_KEY to the key that sealed it (the one it was stored with, or given to `accounts rekey` since), or store it again with `qwenproxy credentials set`"
	}
	return "the stored password of " + id + " cannot be opened: set QWENPROXY_SECRET_KEY to the key that sealed it (the one it was added with, or given to `accounts rekey` since), or store it again with `qwenproxy accounts add --email " + id + "`"
}

// Diagnose is qwen.Diagnose for a call made as account id, from source: a
// rejection of a signed-in account gets RejectedAdvice, not the cookie
// advice, and a locked account is credentials_locked, with LockedAdvice.
func Diagnose(id, source string, err error) qwen.Diagnosis {
	d := qwen.Diagnose(err)
	switch {
	case errors.As(err, new(lockedError)):
		// Qwen never saw the secret: not credentials_rejected (exit 6), which
		// sent the operator to a password Qwen had not refused.
		d = qwen.DiagnosisCredentialsLocked
		d.Advice = LockedAdvice(id)
	case errors.As(err, new(forbiddenOut)):
		d.Advice = ForbiddenAdvice(id, true)
	case d.Name == qwen.DiagnosisCredentialsRejected.Name && forbidden(err):
		if id != CookieID { // the cookie's advice (copy a fresh Cookie header) does not apply
			d.Advice = ForbiddenAdvice(id, false)
		}
	case d.Name == qwen.DiagnosisCredentialsRejected.Name:
		d.Advice = RejectedAdvice(id, source)
	case d.Name == qwen.DiagnosisFirewall.Name && id != CookieID:
		d.Advice = FirewallAdvice(id)
	}
	return d
}

// FirewallAdvice says what to do when Qwen's firewall or risk control
// refuses a call made as account id, which the proxy signs in: the pasted
// cookie's advice (copy a fresh Cookie header) does not apply, as no cookie
// is used. id is "" where the address must not be shown (a client's error).
func FirewallAdvice(id string) string {
	as := "the account"
	if id != "" {
		as = id
	}
	return "Qwen's firewall or risk control refused the call made as " + as + ", which the proxy signs in (no Cookie header is used): " +
		"it rests (QWEN_FAILURE_COOLDOWN) while the other accounts take the calls; if it persists, sign in to chat.qwen.ai as " + as +
		" in a browser on the proxy's network and pass any check it shows, or update QWEN_WEB_VERSION"
}

// forbidden reports err a bare HTTP 403 (qwen.Error.Forbidden).
func forbidden(err error) bool {
	qe, ok := qwen.AsError(err)
	return ok && qe.Forbidden()
}
