package accounts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/redact"
)

// SignedIn is what a successful sign-in gives: the Cookie header to send
// (token=<JWT> and whatever else Qwen set) and the JWT's expiry (zero when
// it has none).
type SignedIn struct {
	Cookies string
	Expires time.Time
}

// SignInError is a failed sign-in, classed like any upstream failure:
// ClassAuth for a refused password (only that: see refusedPassword),
// ClassFirewall for a captcha or firewall page, ClassRateLimited,
// ClassServer (a 5xx, and any other refusal: an outdated web client's
// Bad_Request "Internal error", an unexpected status), ClassNetwork.
type SignInError struct {
	Class      Class
	Status     int
	Code       string // Qwen's error code, when it gave one (Bad_Request, RateLimited…)
	Message    string
	RetryAfter time.Duration
}

func (e *SignInError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("sign-in: %s (HTTP %d): %s", e.Class, e.Status, e.Message)
	}
	return fmt.Sprintf("sign-in: %s: %s", e.Class, e.Message)
}

// Upstream is the failure as an upstream *qwen.Error of the same kind, for
// the callers that classify those (the server's errors, the doctor).
func (e *SignInError) Upstream() *qwen.Error {
	kind := map[Class]qwen.Kind{ClassAuth: qwen.KindAuth, ClassForbidden: qwen.KindAuth, ClassFirewall: qwen.KindFirewall, ClassRateLimited: qwen.KindRateLimited,
		ClassNetwork: qwen.KindNetwork, ClassTimeout: qwen.KindTimeout}[e.Class]
	if kind == "" {
		kind = qwen.KindServer
	}
	return &qwen.Error{Kind: kind, Status: e.Status, Code: e.Code, Message: "signing the account in: " + e.Message, RetryAfter: e.RetryAfter}
}

// Signer signs accounts in at Qwen: POST /api/v1/auths/signin with
// {"email", "password": lower-case hex SHA-256 of the password} (the web
// app's form, per Qwen2API's token-manager.js and Qwen2API_Go's SignIn; see
// qwen-2026.md §1.2). The answer carries the JWT as "token" (top level, or
// under "data" in the v2 form) and in Set-Cookie.
type Signer struct {
	BaseURL   string
	UserAgent string // default qwen.DefaultUserAgent (with its client hints)
	// WebVersion is the Version header (QWEN_WEB_VERSION); default
	// qwen.DefaultWebVersion.
	WebVersion string
	HTTP       *http.Client
	Timeout    time.Duration // default 30 s
}

// signInPage is the web client's page that signs in: the sign-in's Referer.
const signInPage = "/auth"

// HashPassword is the form Qwen's sign-in takes: lower-case hex SHA-256.
func HashPassword(password string) string {
	sum := sha256.Sum256([]byte(password))
	return hex.EncodeToString(sum[:])
}

// SignIn signs l in. The password never appears in an error.
func (s *Signer) SignIn(ctx context.Context, l Login) (SignedIn, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body, err := json.Marshal(map[string]string{"email": l.Email, "password": HashPassword(l.Password)})
	if err != nil {
		return SignedIn{}, fmt.Errorf("encode sign-in: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.BaseURL, "/")+"/api/v1/auths/signin", bytes.NewReader(body))
	if err != nil {
		return SignedIn{}, fmt.Errorf("build sign-in request: %w", err)
	}
	// The headers of every call of the web client (qwen-2026.md §1.1):
	// a sign-in that claims to be Chrome without them stands out.
	req.Header = qwen.PageHeaders(qwen.Config{BaseURL: s.BaseURL, UserAgent: s.UserAgent, WebVersion: s.WebVersion}, signInPage, time.Now())
	req.Header.Set("Content-Type", "application/json")
	hc := s.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	// A redirect is the answer, never followed: a 307 or 308 would resend
	// the password's digest wherever it points.
	hc = qwen.NoRedirects(hc)
	resp, err := hc.Do(req)
	if err != nil {
		if parent.Err() != nil {
			return SignedIn{}, parent.Err() // the caller gave up: not the account's fault
		}
		if ctx.Err() != nil {
			return SignedIn{}, &SignInError{Class: ClassNetwork, Message: "Qwen did not answer the sign-in within " + timeout.String()}
		}
		return SignedIn{}, &SignInError{Class: ClassNetwork, Message: "cannot reach Qwen: " + err.Error()}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return SignedIn{}, &SignInError{Class: ClassNetwork, Status: resp.StatusCode, Message: "sign-in answer broke off: " + err.Error()}
	}
	// A refusal that echoes the password's digest (which signs in as well
	// as the password; Qwen never sees the password itself) loses it,
	// however it is framed.
	b = bytes.ReplaceAll(b, []byte(HashPassword(l.Password)), []byte(redact.Placeholder))
	if f := signInFailure(resp, b); f != nil {
		return SignedIn{}, f
	}
	var answer struct {
		Token string `json:"token"`
		Data  struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	_ = json.Unmarshal(b, &answer)
	token := answer.Token
	if token == "" {
		token = answer.Data.Token
	}
	var pairs []string
	for _, c := range resp.Cookies() {
		if c.Value == "" || c.MaxAge < 0 {
			continue
		}
		if c.Name == "token" && token == "" {
			token = c.Value
		}
		if c.Name != "token" {
			pairs = append(pairs, c.Name+"="+c.Value)
		}
	}
	if token == "" {
		return SignedIn{}, &SignInError{Class: ClassServer, Status: resp.StatusCode, Message: "the sign-in answer carries no token"}
	}
	cookies := strings.Join(append([]string{"token=" + token}, pairs...), "; ")
	exp, _ := qwen.TokenExpiry(cookies)
	return SignedIn{Cookies: cookies, Expires: exp}, nil
}

// signInFailure classes a sign-in answer that is not a success.
func signInFailure(resp *http.Response, b []byte) *SignInError {
	msg := qwen.Summarize(b) // a refusal may echo the password's digest, which signs in as well as the password
	if qwen.GatewayPage(resp, b) {
		// A gateway that timed out or failed (Alibaba's accelerator's 504
		// page, qwen-2026.md §1.3, Qwen2API #107: at sign-in) is as
		// transient as it is for any call, not a captcha to pass.
		return &SignInError{Class: ClassServer, Status: resp.StatusCode, Message: "Qwen's gateway failed the sign-in: " + msg}
	}
	// A successful answer is not scanned for the firewall's markers: an
	// account's name may say "captcha".
	if qwen.FirewallAnswer(resp.StatusCode, resp.Header.Get("Content-Type"), b) {
		return &SignInError{Class: ClassFirewall, Status: resp.StatusCode, Message: "Qwen answered the sign-in with a firewall or captcha page"}
	}
	var env struct {
		Success *bool `json:"success"`
		Detail  any   `json:"detail"`
		Data    struct {
			Code    string      `json:"code"`
			Details string      `json:"details"`
			Num     json.Number `json:"num"` // RateLimited: the hours to wait
		} `json:"data"`
	}
	_ = json.Unmarshal(b, &env)
	// A refusal may come with HTTP 200 and its status in
	// x-actual-status-code, as Qwen answers its other calls' failures.
	st := qwen.LogicalStatus(resp)
	failed := st < 200 || st > 299 || (env.Success != nil && !*env.Success)
	switch {
	case st >= 300 && st <= 399:
		// Not followed (qwen.NoRedirects): not the password's fault.
		return &SignInError{Class: ClassServer, Status: st,
			Message: "Qwen answered the sign-in with a redirect (HTTP " + strconv.Itoa(st) + "), which is not followed: the password's digest is sent to QWEN_BASE_URL only"}
	case !failed:
		return nil
	case st == http.StatusTooManyRequests || env.Data.Code == "RateLimited":
		// The rest Qwen asks for, as for a call's rate limit (a bare 429
		// asks none: throttling, Pool.rateLimitFor).
		retry := qwen.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		if retry == 0 {
			retry = qwen.QuotaRest(env.Data.Num.String())
		}
		return &SignInError{Class: ClassRateLimited, Status: st, Code: env.Data.Code, Message: msg, RetryAfter: retry}
	case refusedPassword(st, env.Data.Code, fmt.Sprint(env.Detail)+" "+env.Data.Details):
		return &SignInError{Class: ClassAuth, Status: st, Code: env.Data.Code, Message: "Qwen refused the e-mail or password: " + msg}
	case st == http.StatusForbidden:
		// Nothing said of the password: a ban, or as likely the firewall
		// blocking this address, which refuses sign-ins too (qwen-2026.md
		// §5). The account rests as after a call's bare 403 (Pool.forbid).
		return &SignInError{Class: ClassForbidden, Status: st, Code: env.Data.Code, Message: "Qwen refused the sign-in with HTTP 403 (a ban, or its firewall blocking this address): " + msg}
	case env.Data.Code == "Bad_Request" && strings.Contains(strings.ToLower(env.Data.Details), "internal error"):
		// Qwen's answer to an outdated web client (qwen-2026.md §3.6): not
		// the password's fault; tried again after a cooldown.
		return &SignInError{Class: ClassServer, Status: st, Code: env.Data.Code,
			Message: "Qwen refused the sign-in as it refuses an outdated web client (check QWEN_WEB_VERSION): " + msg}
	}
	// Any other refusal (a 400, a 404, a 405, a 5xx, success:false with
	// another code) says nothing about the password: the account cools down
	// and signs in again after, rather than being taken out for good.
	return &SignInError{Class: ClassServer, Status: st, Code: env.Data.Code, Message: "Qwen refused the sign-in: " + msg}
}

// refusedPassword reports whether a failed sign-in answer says the e-mail
// or password is wrong, the only refusal that takes an account out until
// its credentials change: a 401 (Qwen's answer to a wrong password,
// qwen-2026.md §1.2: "The email or password provided is incorrect"), Qwen's
// Unauthorized code, or any refusal whose text says the credentials are
// incorrect (Open WebUI, which Qwen's web app is built on, answers a wrong
// password with a 400 saying so). A 403 that says none of that is not one
// (signInFailure).
func refusedPassword(status int, code, text string) bool {
	if status == http.StatusUnauthorized || strings.EqualFold(code, "Unauthorized") {
		return true
	}
	text = strings.ToLower(text)
	return strings.Contains(text, "password") && (strings.Contains(text, "incorrect") || strings.Contains(text, "invalid") || strings.Contains(text, "wrong"))
}
