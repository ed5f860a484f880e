package qwensim

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
)

// The request rules of chat.qwen.ai, as the working 2026 clients met them
// (qwen-2026.md §1, §2): which headers and credentials a call must carry,
// the chat mode that matches them, and one streamed message per
// completion. The
// 2025 format keeps the rules of the 2025 recordings (a Cookie and a
// bx-umidtoken, any number of messages).

// TooManyMessages is Qwen's refusal of a completion with more than one
// message (qwen-wire.md S8, verbatim).
const TooManyMessages = "Invalid input too many messages."

// StreamRequired is the simulator's refusal of a 2026 chat completion with
// stream:false, which Qwen no longer answers (qwen-2026.md §2.2). How Qwen
// refuses it is not recorded: the text is ours, the envelope Qwen's.
const StreamRequired = "Invalid input: stream must be true."

// InternalError is the details Qwen answers, as a Bad_Request, to a request
// it dislikes: a missing Version header, stale cookies (qwen-2026.md §3.6).
const InternalError = "Internal error..."

// UnknownModel is the simulator's refusal of a model its list does not
// have (on chats/new and on a completion). Qwen answers only the models
// /api/models lists — every working peer picks from that list, and a name
// it lacks does not get an answer — but no capture records how it refuses
// one: the text is ours, the envelope (Bad_Request, x-actual-status-code
// 400) the one Qwen refuses a request with (qwen-wire.md §5).
const UnknownModel = "Model not found."

// caller is what the simulator makes of a call's credentials.
type caller struct {
	loggedIn bool // a login token came as the token cookie or a Bearer header
}

// checkRequest applies the rules to a call and answers it when they refuse
// it. versionChecked says whether the endpoint checks the Version header
// (chats/new and completions; the model list does not).
func (s *Sim) checkRequest(w http.ResponseWriter, r *http.Request, versionChecked bool) (caller, bool) {
	jwt := loginToken(r)
	if s.opt.Format == Format2025 {
		if r.Header.Get("Cookie") == "" || (versionChecked && r.Header.Get("bx-umidtoken") == "") {
			serveFirewall(w)
			return caller{}, false
		}
		return caller{loggedIn: jwt != ""}, true
	}
	if !webClient(r) {
		serveFirewall(w)
		return caller{}, false
	}
	if jwt == "" && (r.Header.Get("Cookie") == "" || r.Header.Get("bx-umidtoken") == "") {
		serveFirewall(w) // a guest without the anti-bot token
		return caller{}, false
	}
	if jwt != "" && !strings.HasPrefix(jwt, "eyJ") {
		writeEnvelope(w, CodeUnauthorized, "Invalid token", http.StatusUnauthorized)
		return caller{}, false
	}
	if versionChecked && r.Header.Get("Version") == "" {
		writeEnvelope(w, CodeBadRequest, InternalError, http.StatusBadRequest)
		return caller{}, false
	}
	return caller{loggedIn: jwt != ""}, true
}

// webClient reports whether a call looks like the web client, the only
// caller the firewall lets through: a fresh x-request-id (its absence drew
// the firewall page in June 2026, qwen-2026.md §1.1) and a browser's
// User-Agent. The source header is not asked for: the web client and most
// peers send "web", but a peer that sent none passed (YJZ, June 2026), and
// no source says a call without it is refused.
func webClient(r *http.Request) bool {
	return r.Header.Get("x-request-id") != "" && strings.Contains(r.Header.Get("User-Agent"), "Mozilla/")
}

// checkSignIn applies the rules to a sign-in and answers it when they
// refuse it: those of every call (the firewall's, and the Version header
// that chats/new and completions check); it carries no credentials. The
// 2025 format has no sign-in rules.
func (s *Sim) checkSignIn(w http.ResponseWriter, r *http.Request) bool {
	if s.opt.Format == Format2025 {
		return true
	}
	if !webClient(r) {
		serveFirewall(w)
		return false
	}
	if r.Header.Get("Version") == "" {
		writeEnvelope(w, CodeBadRequest, InternalError, http.StatusBadRequest)
		return false
	}
	return true
}

// checkChatMode refuses a chat mode that does not match the credentials:
// "normal" with a login token, "guest" without.
func (c caller) checkChatMode(mode string) (code, details string) {
	want := "guest"
	if c.loggedIn {
		want = "normal"
	}
	if mode != want {
		return CodeBadRequest, fmt.Sprintf("chat_mode %q does not match the session (want %q)", mode, want)
	}
	return "", ""
}

// loginToken is the JWT of a call: the token cookie, else a Bearer header.
func loginToken(r *http.Request) string {
	if c, err := r.Cookie("token"); err == nil && c.Value != "" {
		return c.Value
	}
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return ""
}

func serveFirewall(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, firewallPage)
}

// LoginCookie is a Cookie header of a signed-in user that the simulator
// accepts: a token whose JWT payload is {"id":"sim","exp":4102444800}
// (2100-01-01). The simulator checks the token's form, not its signature.
func LoginCookie() string {
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"id":"sim","last_password_change":0,"exp":4102444800}`))
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	return "token=" + header + "." + payload + ".c2ltdWxhdG9y"
}
