package qwensim

import (
	"encoding/json"
	"fmt"
	"time"
)

// Endpoints a fault can target.
const (
	EndpointNewChat     = "chats/new"
	EndpointCompletions = "completions"
	EndpointModels      = "models"
)

// Fault makes the next matching call(s) fail the way Qwen fails. Exactly one
// kind of failure should be set; Status may come with a page (Firewall,
// RiskControl, GatewayTimeout) as the status it is served with.
type Fault struct {
	Endpoint string `json:"endpoint"` // default: completions
	Times    int    `json:"times"`    // calls affected; default 1

	Status     int        `json:"status"`      // plain HTTP error status, or a page's
	RetryAfter RetryAfter `json:"retry_after"` // with Status 429

	// Envelope answers HTTP 200 with {"success":false,"data":{"code":…}} and
	// x-actual-status-code: ActualStatus. InStream sends the same envelope
	// as the only event of an event stream instead.
	Envelope     string `json:"envelope"`
	Details      string `json:"details"`
	ActualStatus int    `json:"actual_status"`
	Num          int    `json:"num"` // RateLimited: hours to wait
	// Template is a RateLimited envelope's text for the web client, with
	// {{num}} for the hours (QuotaTemplate in the quota answer).
	Template string `json:"template"`
	InStream bool   `json:"in_stream"`

	Firewall bool `json:"firewall"` // HTTP 200 HTML challenge page
	// RiskControl answers with Alibaba's risk-control refusal
	// ({"ret":["FAIL_SYS_USER_VALIDATE","RGV587_ERROR::SM::…"],…}), as the
	// whole body or, with InStream, as the only event of a stream.
	RiskControl bool `json:"risk_control"`
	// GatewayTimeout serves a gateway's 504 page with HTTP 200.
	GatewayTimeout bool `json:"gateway_timeout"`
	// EmptyAnswer streams an answer that finishes without any text;
	// ThinkOnly one that thinks and then ends without answering; DoneOnly a
	// stream of nothing but "data: [DONE]".
	EmptyAnswer bool          `json:"empty_answer"`
	ThinkOnly   bool          `json:"think_only"`
	DoneOnly    bool          `json:"done_only"`
	BadJSON     bool          `json:"bad_json"` // HTTP 200 body that is not JSON
	Delay       time.Duration `json:"delay"`    // wait before answering (ends with the caller)
	// Reached, when set, is sent to (without blocking: give it a buffer) as
	// the fault is applied, so a test knows the call got this far before it
	// acts — instead of guessing with a timer.
	Reached chan<- struct{} `json:"-"`

	// After N answer events: CutAfter aborts the connection, StallAfter goes
	// silent until the caller leaves, ErrorAfter sends an in-stream error
	// event and ends the stream.
	CutAfter   int `json:"cut_after"`
	StallAfter int `json:"stall_after"`
	ErrorAfter int `json:"error_after"`
	// Frame, after FrameAfter answer events (0: before the first, the
	// response.created sent), sends its text as one event (a "data:" line)
	// and ends the stream: a risk-control refusal after the answer began
	// (RiskControlBody), the web backend's bare {"detail":…}, or any frame of
	// another shape (qwen-2026.md §3.6).
	Frame      string `json:"frame"`
	FrameAfter int    `json:"frame_after"`
	// ReasoningContent sends the thinking as phase-less deltas carrying
	// reasoning_content instead of a think phase (qwen-2026.md §3.2).
	ReasoningContent bool `json:"reasoning_content"`
	// SummaryThinking sends the thinking in the 2026 summary style, as
	// Options.SummaryThinking does for every answer: what a server run
	// with --mock-upstream, whose options are the defaults, can be asked
	// for.
	SummaryThinking bool `json:"summary_thinking"`
	// Interleave streams this answer as two interleaved candidates (see
	// Options.Interleave; 2026 format).
	Interleave bool `json:"interleave"`
	// ContextTooLong opens the answer and fails it with Qwen's mid-stream
	// error ContextLengthExceeded (qwen-wire.md §5; its details are not
	// recorded, the simulator sends none). The chat stays too long: each
	// later turn in it fails so too.
	ContextTooLong bool `json:"context_too_long"`
	// KeepsGenerating plays Qwen going on with an answer whose caller left
	// before its end: the chat stays in progress, refusing completions with
	// "The chat is in progress!", until EndGenerations (qwen-wire.md §4.4:
	// "an aborted SSE stream keeps the chat_id locked"). Without it the
	// chat is free as soon as its caller leaves.
	KeepsGenerating bool `json:"keeps_generating"`

	// A misbehaving upstream, after the first answer event: BigEvent sends
	// one answer delta of that many bytes (with Endless, such deltas until
	// the caller leaves, never finishing); Unterminated that many bytes of
	// one data line that never ends; Endless alone an answer delta every
	// 10 ms until the caller leaves, never finishing.
	BigEvent     int  `json:"big_event"`
	Unterminated int  `json:"unterminated"`
	Endless      bool `json:"endless"`
}

// Known envelope codes and their verbatim details where recordings exist.
const (
	CodeRateLimited  = "RateLimited"
	CodeBadRequest   = "Bad_Request"
	CodeInternal     = "Internal_Server_Error"
	CodeUnauthorized = "Unauthorized"
	CodeNotFound     = "Not_Found"
)

// QuotaDetails and QuotaTemplate are the texts of Qwen's answer to an
// account over its daily quota (qwen-wire.md §5, S8, verbatim).
const (
	QuotaDetails  = "You've reached the upper limit for today's usage."
	QuotaTemplate = "You have reached the daily usage limit. Please wait {{num}} hours before trying again."
)

// RiskControlBody is Alibaba's risk-control refusal (qwen-2026.md §3.6).
const RiskControlBody = `{"ret":["FAIL_SYS_USER_VALIDATE","RGV587_ERROR::SM::哎哟喂, 被挤爆啦, 请稍后重试"],"data":{"url":"https://chat.qwen.ai/punish?x5secdata=sim"}}`

// gatewayTimeoutPage is the page a gateway serves when Qwen does not answer.
const gatewayTimeoutPage = `<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center><hr><center>alibaba-ga</center></body></html>`

// ChatInProgress is Qwen's refusal of a second concurrent completion.
const ChatInProgress = "The chat is in progress!"

func (f *Fault) endpoint() string {
	if f.Endpoint == "" {
		return EndpointCompletions
	}
	return f.Endpoint
}

// RetryAfter is a Retry-After header's value: seconds (or an HTTP date),
// given in a fault's JSON as a number or a string.
type RetryAfter string

// UnmarshalJSON takes a number of seconds as a string does: "retry_after":30
// was refused.
func (r *RetryAfter) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*r = RetryAfter(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("retry_after must be a number of seconds or a string, not %s", b)
	}
	*r = RetryAfter(n)
	return nil
}
