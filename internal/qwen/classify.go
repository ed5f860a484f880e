package qwen

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
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
		return &Error{Kind: KindFirewall, Status: actualStatus, Message: "Qwen answered with an anti-bot challenge; the credentials are probably expired"}
	}
	if e.Success != nil && !*e.Success {
		return classifyCode(e.Data.Code, e.Data.Details, actualStatus, e.Data.Num.String())
	}
	return nil
}

// classifyCode maps Qwen's logical error codes onto kinds.
func classifyCode(code, details string, status int, num string) *Error {
	err := &Error{Code: code, Message: details, Status: status}
	lower := strings.ToLower(details)
	switch {
	case code == "RateLimited" || code == "Too_Many_Requests" || status == http.StatusTooManyRequests:
		err.Kind = KindRateLimited
		if h, convErr := strconv.Atoi(num); convErr == nil && h > 0 {
			err.RetryAfter = time.Duration(h) * time.Hour
		}
	case strings.Contains(lower, "in progress"):
		err.Kind = KindBusy
	case strings.EqualFold(code, "Unauthorized") || status == http.StatusUnauthorized || status == http.StatusForbidden ||
		strings.Contains(lower, "invalid token"):
		err.Kind = KindAuth
	case code == "Not_Found" || strings.Contains(lower, "not exist") || status == http.StatusNotFound:
		err.Kind = KindNotFound
	case code == "Internal_Server_Error" || strings.Contains(lower, "internal error") || status >= 500:
		err.Kind = KindServer
	default:
		err.Kind = KindBadRequest
	}
	if err.Message == "" {
		err.Message = code
	}
	return err
}

// classifyHTTP maps a non-2xx upstream status.
func classifyHTTP(resp *http.Response, body []byte) *Error {
	err := &Error{Status: resp.StatusCode, Message: summarize(body)}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		err.Kind = KindAuth
	case resp.StatusCode == http.StatusTooManyRequests:
		err.Kind = KindRateLimited
		err.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case resp.StatusCode == http.StatusNotFound:
		err.Kind = KindNotFound
	case resp.StatusCode >= 500:
		err.Kind = KindServer
	default:
		err.Kind = KindBadRequest
	}
	// A JSON error body says more than the status alone.
	var env envelope
	if json.Unmarshal(body, &env) == nil {
		if f := env.failure(resp.StatusCode); f != nil && f.Message != "" {
			err.Code, err.Message = f.Code, f.Message
		}
	}
	return err
}

// classifyBody inspects an HTTP-2xx body that is not an event stream.
func classifyBody(resp *http.Response, body []byte) *Error {
	actual := resp.StatusCode
	if v, err := strconv.Atoi(resp.Header.Get("X-Actual-Status-Code")); err == nil && v > 0 {
		actual = v
	}
	if looksLikeFirewall(resp.Header.Get("Content-Type"), body) {
		return &Error{Kind: KindFirewall, Status: actual, Message: "Qwen answered with a firewall page instead of JSON; the credentials are probably expired or incomplete"}
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return &Error{Kind: KindBadResponse, Status: actual, Message: "unreadable answer: " + summarize(body), Err: err}
	}
	if f := env.failure(actual); f != nil {
		return f
	}
	return nil
}

func looksLikeFirewall(contentType string, body []byte) bool {
	if strings.Contains(contentType, "text/html") {
		return true
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '<' {
		return true
	}
	for _, marker := range []string{"aliyun_waf", "nc_1_n1z", "x5sec", "punish"} {
		if bytes.Contains(body, []byte(marker)) {
			return true
		}
	}
	return false
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// summarize keeps error bodies short enough for logs and error messages.
func summarize(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
