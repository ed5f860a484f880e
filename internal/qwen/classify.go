package qwen

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"qwenproxy/internal/redact"
)

// envelope is Qwen's JSON wrapper: {"success":false,"data":{"code","details"}}
// for failures, or an {"error":{…}} object in streams.
type envelope struct {
	Success *bool `json:"success"`
	Data    struct {
		Code     string               `json:"code"`
		Details  string               `json:"details"`
		Num      json.Number          `json:"num"`
		ID       string               `json:"id"`
		ChatID   string               `json:"chat_id"`
		Chat     *struct{ ID string } `json:"chat"`
		ParentID string               `json:"parent_id"`
		Message  string               `json:"message_id"`
		Choices  []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	} `json:"data"`
	Error *struct {
		Code    string `json:"code"`
		Details string `json:"details"`
		Message string `json:"message"`
	} `json:"error"`
	RequestInfo json.RawMessage `json:"requestInfo"`
	// Alibaba's risk control ("mtop" form): {"ret":["FAIL_SYS_USER_VALIDATE",
	// "RGV587_ERROR::SM::…"],"data":{"url":"…/punish?…"}} (qwen-2026.md §3.6).
	Ret []string `json:"ret"`
	// A bare {"code":…,"detail":…} without the envelope [1 src], or
	// {"detail":…} alone, the web backend's (Open WebUI's) own refusal;
	// also beside success:false, with "details" (see failure).
	Code    string `json:"code"`
	Detail  string `json:"detail"`
	Details string `json:"details"`
	// Some answers carry the new chat's id at the top level.
	ID     string `json:"id"`
	ChatID string `json:"chat_id"`
}

// failure returns the error an envelope carries, or nil for a success.
func (e *envelope) failure(actualStatus int) *Error {
	if e.Error != nil {
		details := e.Error.Details
		if details == "" {
			details = e.Error.Message
		}
		return classifyCode(e.Error.Code, details, actualStatus, "")
	}
	if len(e.RequestInfo) > 0 {
		return &Error{Kind: KindFirewall, Status: actualStatus, Message: "Qwen answered with an anti-bot challenge"}
	}
	if f := riskControl(e.Ret, actualStatus); f != nil {
		return f
	}
	if e.Success != nil && !*e.Success {
		code, details := e.Data.Code, e.Data.Details
		if code == "" && details == "" {
			// The code and text at the top level, beside success:false
			// ({"success":false,"code":"Bad_Request","details":"…"}):
			// qwen-2026.md §3.6 (a top-level code without the data
			// envelope), as Qwen2API's upstream-error.js reads it, and a
			// peer's measured answer to a call without Version
			// (2026-09-22). Read only under data, it was a bad request of
			// no code and no text.
			code, details = e.Code, cmp.Or(e.Details, e.Detail)
		}
		return classifyCode(code, details, actualStatus, e.Data.Num.String())
	}
	if e.Success == nil && e.Detail != "" {
		return classifyCode(e.Code, e.Detail, actualStatus, "")
	}
	return nil
}

// riskControl reads Alibaba's "ret" list: anything but SUCCESS is a refusal,
// and the user-validation and RGV587 codes are its anti-bot challenge.
func riskControl(ret []string, actualStatus int) *Error {
	if len(ret) == 0 || strings.HasPrefix(ret[0], "SUCCESS") {
		return nil
	}
	joined := strings.Join(ret, "; ")
	return &Error{Kind: KindFirewall, Status: actualStatus, Code: strings.SplitN(ret[0], "::", 2)[0],
		Message: "Alibaba's risk control refused the call: " + Summarize([]byte(joined))}
}

// ClientRefused reports Qwen's Bad_Request "Internal error…": its answer to a
// request it dislikes — an outdated Version header, stale cookies — rather
// than a fault of its own (qwen-2026.md §3.6). It is not retried.
func (e *Error) ClientRefused() bool {
	return e.Code == "Bad_Request" && strings.Contains(strings.ToLower(e.Message), "internal error")
}

// Throttled reports a rate limit that is Qwen asking to slow down (its
// Too_Many_Requests "please slow down", qwen-wire.md §5, or an HTTP 429),
// rather than the account's usage quota (RateLimited, with the hours to
// wait): a rest of seconds, not hours.
func (e *Error) Throttled() bool {
	return e.Kind == KindRateLimited && e.Code != "RateLimited"
}

// classifyCode maps Qwen's logical error codes onto kinds.
func classifyCode(code, details string, status int, num string) *Error {
	err := &Error{Code: code, Message: details, Status: status}
	lower := strings.ToLower(details)
	switch {
	case code == "RateLimited" || code == "Too_Many_Requests" || status == http.StatusTooManyRequests:
		err.Kind = KindRateLimited
		err.RetryAfter = QuotaRest(num)
	case strings.Contains(lower, "in progress"):
		err.Kind = KindBusy
	case strings.EqualFold(code, "ContextLengthExceeded"):
		// The conversation outgrew the model (qwen-wire.md §5, a
		// mid-stream error): the client's to shorten, not to ask again.
		err.Kind = KindTooLong
	case strings.EqualFold(code, "Unauthorized") || status == http.StatusUnauthorized || status == http.StatusForbidden ||
		strings.Contains(lower, "invalid token") || strings.Contains(lower, "token has expired") || sessionEnded(lower) ||
		lower == "not authenticated" || lower == "unauthorized" || lower == "401 unauthorized":
		// "Invalid token" (qwen-wire.md §5), "Token has expired" and
		// "Unauthorized" (the body texts peers read as an expired token,
		// qwen-2026.md §1.3; "401 Unauthorized" the web backend's wording
		// of it), the session's end (§1.3) and the web backend's "Not
		// authenticated" (its refusal of a call without a login) say so
		// whatever code carries them. "Unauthorized" is taken as the
		// whole text only: a sentence that uses the word may be of
		// anything.
		err.Kind = KindAuth
	case code == "Not_Found" || strings.Contains(lower, "not exist") || status == http.StatusNotFound:
		err.Kind = KindNotFound
	case code == "Bad_Request" && strings.Contains(lower, "internal error"):
		err.Kind = KindBadRequest // see ClientRefused
	case code == "Internal_Server_Error" || strings.Contains(lower, "internal error") || status >= 500:
		err.Kind = KindServer
	default:
		err.Kind = KindBadRequest
	}
	if err.Message == "" {
		err.Message = code
	}
	// The details are shown to the client, logged and recorded: a refusal
	// that echoes the request must not carry the account's token with it,
	// nor a megabyte of text into each of them (they were copied whole).
	// Classified above on the whole text.
	err.Message = Summarize([]byte(err.Message))
	return err
}

// sessionEnded reports a lower-cased failure text saying the login's session
// is over: "session has expired", or a session or token "no longer valid"
// (KIY's account failures, qwen-2026.md §1.3; held to a session or token,
// as "no longer valid" alone could be said of anything).
func sessionEnded(lower string) bool {
	return strings.Contains(lower, "session has expired") ||
		strings.Contains(lower, "no longer valid") && (strings.Contains(lower, "session") || strings.Contains(lower, "token"))
}

// classifyHTTP maps a non-2xx upstream status.
func classifyHTTP(resp *http.Response, body []byte) *Error {
	err := &Error{Status: resp.StatusCode, Message: Summarize(body)}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return redirected(resp)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		err.Kind = KindAuth
	case resp.StatusCode == http.StatusTooManyRequests:
		err.Kind = KindRateLimited
		err.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case resp.StatusCode == http.StatusNotFound:
		err.Kind = KindNotFound
	case resp.StatusCode >= 500:
		err.Kind = KindServer
	default:
		err.Kind = KindBadRequest
	}
	// A JSON error body says more than the status alone: Qwen's envelope is
	// classified by its code and details with the status beside them, as
	// the same envelope under HTTP 200 with the status in
	// x-actual-status-code is (qwen-wire.md §5) — a busy chat, an outgrown
	// conversation, a quota's hours, Bad_Request "Internal error…" read the
	// same whichever way the status comes.
	var env envelope
	if json.Unmarshal(body, &env) == nil {
		if f := env.failure(resp.StatusCode); f != nil && f.Kind == KindFirewall {
			return f // risk control's refusal, whatever the status
		} else if f != nil {
			f.RetryAfter = max(f.RetryAfter, err.RetryAfter)
			if f.Message == "" {
				f.Message = err.Message
			}
			err = f
		}
	}
	// The firewall's page does not always come with HTTP 200: a refusal
	// (4xx) bearing its markers is the firewall's (qwen-2026.md §1.3), not
	// of the credentials (a 403 set the account aside) or of the request.
	// A rate limit keeps its meaning, and a gateway's 5xx page stays
	// transient.
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests && firewallMarked(body) {
		err.Kind, err.Message = KindFirewall, "Qwen answered with a firewall page instead of JSON: "+err.Message
	}
	return err
}

// redirected is the failure of an answer that redirects the call
// elsewhere, which is not followed (NoRedirects). Where it points is left
// out: the address is the answer's, which may echo what the call sent.
func redirected(resp *http.Response) *Error {
	return &Error{Kind: KindBadResponse, Status: resp.StatusCode,
		Message: "Qwen answered with a redirect (HTTP " + strconv.Itoa(resp.StatusCode) + "), which is not followed: the credentials are sent to QWEN_BASE_URL only"}
}

// classifyLogical classifies an HTTP-2xx answer whose x-actual-status-code
// gives the failure status actual and whose body is no envelope (none at
// all, a gateway's text) as classifyHTTP would the same status given as the
// HTTP status (qwen-wire.md §5: the logical status is the header's, S10).
func classifyLogical(resp *http.Response, actual int, body []byte) *Error {
	logical := *resp
	logical.StatusCode = actual
	return classifyHTTP(&logical, body)
}

// LogicalStatus is the status an answer stands for: its HTTP status, or,
// for an HTTP 2xx that carries one, the logical status of Qwen's
// x-actual-status-code (qwen-wire.md §5: Qwen answers most failures with
// HTTP 200 and their status there; S7 shows the header on every answer).
// The client's calls read it so (Client.do, classifyBody); a request made
// outside a Client (the sign-in) asks it.
func LogicalStatus(resp *http.Response) int {
	if actual := actualStatus(resp); actual != 0 && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return actual
	}
	return resp.StatusCode
}

// actualStatus is the logical status Qwen gives an answer in its
// x-actual-status-code header (qwen-wire.md §5), 0 when there is none.
func actualStatus(resp *http.Response) int {
	// Most answers have none: Atoi's error for "" is an allocation, twice a
	// call.
	s := resp.Header.Get("X-Actual-Status-Code")
	if s == "" {
		return 0
	}
	if v, err := strconv.Atoi(s); err == nil && v > 0 {
		return v
	}
	return 0
}

// classifyBody inspects an HTTP-2xx body that is not an event stream: a
// completion answered as one JSON object. That answer is a success:true
// envelope, whose content is never scanned for the firewall's markers;
// anything else bearing one (a page, a failure, an object of another
// shape) is the firewall's, and JSON of another shape without one is a
// bad response.
func classifyBody(resp *http.Response, body []byte) *Error {
	actual := cmp.Or(actualStatus(resp), resp.StatusCode)
	if gatewayTimeout(actual, body) {
		return &Error{Kind: KindServer, Status: http.StatusGatewayTimeout, Message: "Qwen's gateway timed out: " + Summarize(body)}
	}
	firewall := &Error{Kind: KindFirewall, Status: actual, Message: "Qwen answered with a firewall page instead of JSON"}
	if htmlPage(resp.Header.Get("Content-Type"), body) {
		return firewall
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		if firewallMarked(body) {
			return firewall
		}
		if actual < 200 || actual > 299 {
			// A logical failure with no envelope to say more: its status
			// says it (see classifyLogical).
			return classifyLogical(resp, actual, body)
		}
		return &Error{Kind: KindBadResponse, Status: actual, Message: "unreadable answer: " + Summarize(body), Err: err}
	}
	f := env.failure(actual)
	if f != nil && f.Kind == KindFirewall {
		return f // says more (risk control's codes)
	}
	if (env.Success == nil || !*env.Success) && firewallMarked(body) {
		return firewall
	}
	if f == nil && (env.Success == nil || !*env.Success) {
		// Qwen's JSON answer is a success:true envelope (qwen-wire.md
		// §4.3); anything else is no answer, not an empty one.
		return &Error{Kind: KindBadResponse, Status: actual, Message: "Qwen answered with JSON that is neither an answer nor a failure: " + Summarize(body)}
	}
	return f
}

// FirewallAnswer reports whether an answer (its status, Content-Type and
// body) is a firewall or captcha page instead of the JSON asked for
// (qwen-2026.md §1.3, §3.6): an HTML page, or a body bearing one of the
// firewall's markers that is not a successful JSON answer — not JSON at
// all, a JSON failure (success:false, an error, requestInfo, a risk-control
// ret), or any body of a non-2xx status. A successful JSON answer is never
// scanned: what it carries (a model's description, a chat's title, an
// account's name) may say anything.
func FirewallAnswer(status int, contentType string, body []byte) bool {
	if htmlPage(contentType, body) {
		return true
	}
	if !firewallMarked(body) {
		return false
	}
	return status < 200 || status > 299 || !jsonSuccess(body)
}

// htmlPage reports whether a body is a web page rather than JSON.
func htmlPage(contentType string, body []byte) bool {
	if strings.Contains(contentType, "text/html") {
		return true
	}
	trimmed := bytes.TrimSpace(body)
	return len(trimmed) > 0 && trimmed[0] == '<'
}

// firewallMarked reports whether body bears one of the firewall's markers.
func firewallMarked(body []byte) bool {
	for _, marker := range firewallMarkers {
		if bytes.Contains(body, []byte(marker)) {
			return true
		}
	}
	return false
}

// jsonSuccess reports whether body is a JSON object or list that carries no
// failure (see envelope.failure).
func jsonSuccess(body []byte) bool {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') || !json.Valid(trimmed) {
		return false
	}
	var env envelope
	_ = json.Unmarshal(trimmed, &env) // a field of another shape (a list under "data") leaves the others read
	return env.failure(0) == nil
}

// firewallMarkers are the traces of Alibaba's WAF and risk control in a
// body that should have been JSON (qwen-wire.md §5, qwen-2026.md §1.3).
var firewallMarkers = []string{"aliyun_waf", "nc_1_n1z", "x5sec", "punish", "baxia", "captcha", "RGV587", "FAIL_SYS_USER_VALIDATE"}

// GatewayPage reports whether an answer is a gateway's error page rather
// than the firewall's: a page (HTML) of a 5xx status, or a gateway's 504
// page served with HTTP 200 (gatewayTimeout). A call reads both as Qwen's
// transient failure (classifyHTTP, classifyBody), however the page looks: a
// gateway timed out (qwen-2026.md (a)7: a 504 page of Alibaba's global
// accelerator, alibaba-ga, is transient). A request made outside a Client
// (the sign-in) asks it before taking a page for the firewall's.
func GatewayPage(resp *http.Response, body []byte) bool {
	if !htmlPage(resp.Header.Get("Content-Type"), body) {
		return false
	}
	if resp.StatusCode >= 500 {
		return true
	}
	return resp.StatusCode >= 200 && resp.StatusCode <= 299 && gatewayTimeout(cmp.Or(actualStatus(resp), resp.StatusCode), body)
}

// gatewayTimeout recognises a gateway's 504 page served with HTTP 200 (an
// x-actual-status-code of 504, or the page of Alibaba's global accelerator),
// which is as transient as a real 504.
func gatewayTimeout(actual int, body []byte) bool {
	if actual == http.StatusGatewayTimeout {
		return true
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '<' {
		return false
	}
	return bytes.Contains(body, []byte("504 Gateway")) || bytes.Contains(body, []byte("Gateway Time-out")) || bytes.Contains(body, []byte("alibaba-ga"))
}

// MaxRateLimitRest bounds how long a rate limit rests an account, whatever
// Qwen asks (a Retry-After date years ahead, a huge num of hours): Qwen's
// quota is daily ("the upper limit for today's usage"), so no honest rest
// outlasts a day, and a mistaken one must not bench an account for years.
// (The rests the proxy picks itself are shorter still: 6 hours for a quota
// answer without hours, 5 minutes for the longest brief cooldown.)
const MaxRateLimitRest = 24 * time.Hour

// QuotaRest is the rest a RateLimited answer's "num" asks for: that many
// hours, held to MaxRateLimitRest; 0 when it gives none.
func QuotaRest(num string) time.Duration {
	if h, err := strconv.Atoi(num); err == nil && h > 0 {
		return time.Duration(min(h, int(MaxRateLimitRest/time.Hour))) * time.Hour
	}
	return 0
}

// ParseRetryAfter reads a Retry-After header (seconds or an HTTP date) at
// now, held to MaxRateLimitRest; 0 when there is none.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && secs >= 0 {
		return time.Duration(min(secs, int64(MaxRateLimitRest/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), MaxRateLimitRest)
	}
	return 0
}

// Summarize keeps an answer's text short enough for logs and error messages
// (200 bytes, cut between characters) and masks what looks like a
// credential in it (redact.Text): what Qwen answers may echo a token, a
// password's digest or an upload token's keys.
func Summarize(body []byte) string {
	// The head of an answer is shown, logged and recorded: masked of what
	// looks like a credential (an echoed token, an upload token's keys).
	// Only the head is scrubbed (the rest is cut): an answer of a megabyte
	// costs no more than one of a few kilobytes.
	if len(body) > 4096 {
		body = body[:4096]
	}
	s := redact.Text(strings.TrimSpace(string(body)))
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut-- // not inside a character
		}
		s = s[:cut] + "…"
	}
	return s
}
