package qwen

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"qwenproxy/internal/redact"
)

// Credentials authenticate the proxy to chat.qwen.ai as a browser would.
//
// A logged-in browser's Cookie header holds the login token (`token=<JWT>`),
// which is enough on its own: every working 2026 client sends it as the
// cookie and most also as `Authorization: Bearer` (qwen-2026.md §1.1).
// Token is the optional `bx-umidtoken` header value (the original's
// QWEN_TOKEN); without a login token it is needed, with the cookies, for
// guest chats. A JWT put into Token by mistake is recognised and used as the
// login token (see TokenMisplaced).
type Credentials struct {
	Token   string // bx-umidtoken header value, optional
	Cookies string // the whole Cookie header
	// Conceal are the account's secrets that are never sent but that an
	// answer of Qwen's may hold all the same: its password and the
	// password's digest (what its sign-in sends). They are masked, as the
	// cookies and token sent are, in whatever Qwen's answers pass on.
	Conceal []string
}

// Known masks, in an answer of Qwen's, the secrets these credentials hold:
// the Cookie header sent (every cookie's value, the ones Qwen's sign-in
// set included), the bx-umidtoken, the login token and Conceal. It costs
// some 25 µs to build: the client keeps it per credentials (knownCache),
// for the answers of the bounded calls (a chat's creation, the model list)
// and a completion's failures; a stream's events that answer are never
// masked.
func (c Credentials) Known() *redact.Known {
	return redact.NewKnown(c.CookieHeader(), append([]string{c.Token, c.LoginToken()}, c.Conceal...)...)
}

// KnownOf masks the secrets of every one of creds, as Known masks each
// one's: what a record masks wherever it stands, whichever account served
// its call.
func KnownOf(creds ...Credentials) *redact.Known {
	var cookies, values []string
	for _, c := range creds {
		if h := c.CookieHeader(); h != "" {
			cookies = append(cookies, h)
		}
		values = append(values, c.Token, c.LoginToken())
		values = append(values, c.Conceal...)
	}
	return redact.NewKnown(strings.Join(cookies, "; "), values...)
}

// knownCache holds, by the credentials calls were made with, what each
// call takes from them: the masker of their secrets and the values of the
// headers that sign a call (signed). Credentials change when an account
// signs in again: the cache is emptied once it holds maxKnown of them,
// which bounds it.
type knownCache struct {
	mu      sync.Mutex
	byCreds map[credsKey]*knownCreds
}

// credsKey names one set of credentials: a struct of their strings rather
// than one string joined from them, which cost every look-up an allocation
// (the Cookie header's length). An account's Conceal (its password and the
// password's digest) is held in place; any more are joined.
type credsKey struct {
	cookies, token string
	conceal        [2]string
	more           string
}

func keyOf(creds Credentials) credsKey {
	k := credsKey{cookies: creds.Cookies, token: creds.Token}
	rest := creds.Conceal
	for i := 0; i < len(k.conceal) && len(rest) > 0; i++ {
		k.conceal[i], rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		// A marker first: ["a", "b", ""] is not ["a", "b"].
		k.more = "\x00" + strings.Join(rest, "\x00")
	}
	return k
}

// knownCreds is what the cache keeps for one set of credentials.
type knownCreds struct {
	known  *redact.Known
	signed signed
}

// signed are the values a call's headers and bodies take from credentials
// (setHeaders, a body's chat_mode). Each comes from the login token, which
// is read by walking the whole Cookie header: asked for five times a
// request, that was the largest part of setting its headers. The header
// values are one-element slices at full capacity, shared by every request
// as the fixed headers are (an Add on one request copies them); nil: the
// header is not sent.
type signed struct {
	cookie, authorization, umidToken []string
	chatMode                         string
	// template is the headers' template (headerTemplate), built on the
	// first request: it takes the client's fixed headers, which signedBy
	// does not know.
	template *lazyHeaders
}

// lazyHeaders is a header template built once, on first use.
type lazyHeaders struct {
	once sync.Once
	h    http.Header
}

// headers returns s's header template over fixed (built on first use:
// every request of one client passes the same fixed headers).
func (s *signed) headers(fixed http.Header) http.Header {
	s.template.once.Do(func() { s.template.h = headerTemplate(fixed, s) })
	return s.template.h
}

// signedBy works out creds' signed values.
func signedBy(creds Credentials) signed {
	one := func(v string) []string {
		if v == "" {
			return nil
		}
		return []string{v}
	}
	s := signed{cookie: one(creds.CookieHeader()), umidToken: one(creds.UmidToken()), chatMode: ChatModeGuest, template: &lazyHeaders{}}
	if jwt := creds.LoginToken(); jwt != "" {
		s.authorization, s.chatMode = one("Bearer "+jwt), ChatModeNormal
	}
	return s
}

func newKnownCache() *knownCache { return &knownCache{byCreds: map[credsKey]*knownCreds{}} }

// maxKnown bounds knownCache: a few per account (its token renewed).
const maxKnown = 256

// of returns the masker of creds (Credentials.Known), built once (on a nil
// cache, each time).
func (k *knownCache) of(creds Credentials) *redact.Known {
	if k == nil {
		return creds.Known()
	}
	return k.entry(creds).known
}

// signed returns creds' signed values, worked out once (on a nil cache,
// each time).
func (k *knownCache) signed(creds Credentials) *signed {
	if k == nil {
		s := signedBy(creds)
		return &s
	}
	return &k.entry(creds).signed
}

// entry returns what the cache keeps for creds, building it on first use.
func (k *knownCache) entry(creds Credentials) *knownCreds {
	key := keyOf(creds)
	k.mu.Lock()
	e, ok := k.byCreds[key]
	k.mu.Unlock()
	if ok {
		return e
	}
	e = &knownCreds{known: creds.Known(), signed: signedBy(creds)}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.byCreds) >= maxKnown {
		clear(k.byCreds)
	}
	k.byCreds[key] = e
	return e
}

// LoginToken is the JWT that signs the user in: the `token` cookie, else a
// JWT found in Token. "" means guest credentials.
func (c Credentials) LoginToken() string {
	if v := cookieValue(c.Cookies, "token"); v != "" {
		return v
	}
	if looksLikeJWT(c.Token) {
		return c.Token
	}
	return ""
}

// UmidToken is the bx-umidtoken to send, "" when there is none (or Token
// holds the login JWT instead).
func (c Credentials) UmidToken() string {
	if looksLikeJWT(c.Token) {
		return ""
	}
	return c.Token
}

// TokenMisplaced reports a login JWT given as the bx-umidtoken (QWEN_TOKEN),
// which is used as the login token; callers warn about it.
func (c Credentials) TokenMisplaced() bool { return looksLikeJWT(c.Token) }

// Configured reports whether the credentials can sign a call: a login token,
// or (guest) a bx-umidtoken with cookies, in a Cookie header that can be
// sent (one without a control character: see CookieControl).
func (c Credentials) Configured() bool {
	return (c.LoginToken() != "" || (c.UmidToken() != "" && c.Cookies != "")) && controlAt(c.Cookies) < 0
}

// Incomplete says why credentials that were given cannot sign a call, ""
// when they can or none were given: a Cookie header without its token=…
// and no bx-umidtoken (say, copied from a signed-out browser), a
// bx-umidtoken without cookies, or a Cookie header holding a control
// character (CookieControl).
func (c Credentials) Incomplete() string {
	if why := CookieControl(c.Cookies); why != "" {
		return why // before the token: one a line break cut reads as none
	}
	switch {
	case c.Configured() || c.Cookies == "" && c.Token == "":
		return ""
	case c.Token == "":
		return "the Cookie header holds no token=… (a logged-in browser's does), and guest use needs a bx-umidtoken besides it"
	}
	return "a bx-umidtoken without cookies: guest use needs the Cookie header too (a logged-in browser's token=… alone is enough)"
}

// Chat modes of chats/new and completion bodies.
const (
	ChatModeNormal = "normal" // a logged-in user
	ChatModeGuest  = "guest"  // no login token
)

// ChatMode is "normal" with a login token and "guest" without one: no
// working 2026 client mixes a user token with guest mode (qwen-2026.md §1.5).
func (c Credentials) ChatMode() string {
	if c.LoginToken() != "" {
		return ChatModeNormal
	}
	return ChatModeGuest
}

// CookieHeader is the Cookie header to send: the configured one, plus
// `token=<JWT>` when the login token came from Token.
func (c Credentials) CookieHeader() string {
	jwt := c.LoginToken()
	if jwt == "" || cookieValue(c.Cookies, "token") != "" {
		return c.Cookies
	}
	if strings.TrimSpace(c.Cookies) == "" {
		return "token=" + jwt
	}
	return strings.TrimRight(strings.TrimSpace(c.Cookies), ";") + "; token=" + jwt
}

// Expiry is when the login token expires, if there is one that says.
func (c Credentials) Expiry() (time.Time, bool) { return JWTExpiry(c.LoginToken()) }

// CredentialSource resolves the credentials to use for one upstream call.
type CredentialSource interface {
	Credentials(ctx context.Context) (Credentials, error)
}

// StaticCredentials is a CredentialSource with fixed values (environment).
type StaticCredentials Credentials

// Credentials returns the fixed values, or ErrNoCredentials.
func (s StaticCredentials) Credentials(context.Context) (Credentials, error) {
	c := Credentials(s)
	if !c.Configured() {
		return Credentials{}, ErrNoCredentials
	}
	return c, nil
}

// TokenExpiry reads the expiry of the `token` cookie, a JWT set by Qwen's
// login.
func TokenExpiry(cookies string) (time.Time, bool) {
	return JWTExpiry(cookieValue(cookies, "token"))
}

// JWTExpiry reads the `exp` claim of a JWT (Qwen's payload is {id,
// last_password_change, exp}). It decodes the payload only; the signature is
// Qwen's business.
func JWTExpiry(jwt string) (time.Time, bool) {
	claims, ok := jwtClaims(jwt)
	if !ok || claims.Exp == 0 {
		return time.Time{}, false
	}
	return time.Unix(int64(claims.Exp), 0), true
}

type claims struct {
	Exp float64 `json:"exp"`
}

func jwtClaims(jwt string) (claims, bool) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return claims{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return claims{}, false
	}
	var c claims
	if json.Unmarshal(payload, &c) != nil {
		return claims{}, false
	}
	return c, true
}

// looksLikeJWT tells a login token from a bx-umidtoken (which is one
// base64 string without dots).
func looksLikeJWT(s string) bool {
	_, ok := jwtClaims(strings.TrimSpace(s))
	return ok
}

// CookieHeaderValue is a pasted Cookie header without its name: the line
// "Cookie: …" of the developer tools' raw headers is copied whole as
// often as the value alone, and no cookie's name holds
// a ':' (RFC 6265), so the name is taken off rather than the paste refused
// for wanting the token=… it has.
func CookieHeaderValue(s string) string {
	if name, value, ok := strings.Cut(s, ":"); ok && strings.EqualFold(strings.TrimSpace(name), "cookie") {
		return strings.TrimSpace(value)
	}
	return s
}

// cookieValue is the value of the first valid cookie called name in a
// Cookie header, "" when there is none, read by net/http's rules (parts
// and names trimmed of spaces and tabs, surrounding quotes stripped, parts
// with invalid value bytes skipped; FuzzCookieValue holds it to net/http).
// It allocates nothing: credentials ask for the login token several times a
// call. Unlike net/http it does not give up on headers of more than 3,000
// cookies, a limit for requests from strangers, not for configuration.
func cookieValue(header, name string) string {
	for rest := header; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, ";")
		n, v, _ := strings.Cut(textproto.TrimString(part), "=")
		if textproto.TrimString(n) != name {
			continue
		}
		if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		if validCookieValue(v) {
			return v
		}
	}
	return ""
}

// validCookieValue reports whether every byte of v may be in a cookie's
// value (RFC 6265 cookie-octet, as net/http reads it: also space and comma).
func validCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return false
		}
	}
	return true
}
