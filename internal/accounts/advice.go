package accounts

import "qwenproxy/internal/qwen"

// RejectedAdvice says what to do when Qwen refuses account id's
// credentials: for the pasted cookie, capture a fresh one; for an account
// the proxy signs in with an e-mail and password, check those (a cookie
// would not help: the proxy makes its own).
func RejectedAdvice(id string) string {
	if id == CookieID {
		return qwen.DiagnosisCredentialsRejected.Advice
	}
	return "Qwen refused the sign-in of " + id + ": check its e-mail and password (`qwenproxy accounts add --email " + id +
		"` again, or correct QWEN_ACCOUNTS / QWEN_ACCOUNTS_FILE)"
}

// Diagnose is qwen.Diagnose for a call made as account id: a rejection of
// a signed-in account gets RejectedAdvice, not the cookie advice.
func Diagnose(id string, err error) qwen.Diagnosis {
	d := qwen.Diagnose(err)
	if d.Name == qwen.DiagnosisCredentialsRejected.Name {
		d.Advice = RejectedAdvice(id)
	}
	return d
}
