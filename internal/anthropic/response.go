package anthropic

import (
	"encoding/json"
	"net/http"
	"slices"

	qp "qwenproxy"
	"qwenproxy/internal/httpjson"
	"qwenproxy/internal/openai"
)

// Response is a non-streamed answer (a "message" object).
type Response struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"` // "message"
	Role         string         `json:"role"` // "assistant"
	Model        string         `json:"model"`
	Content      []ContentBlock `json:"content"`
	StopReason   *string        `json:"stop_reason"`
	StopSequence *string        `json:"stop_sequence"`
	Usage        Usage          `json:"usage"`
	// Always null, and always sent: Anthropic's SDKs type them as present.
	// No code runs in a container here, Qwen's refusals are answered as
	// errors (no refusal stop_details), and there are no diagnostics.
	Container   *json.RawMessage `json:"container"`
	StopDetails *json.RawMessage `json:"stop_details"`
	Diagnostics *json.RawMessage `json:"diagnostics"`
}

// ContentBlock is a block of an answer: text, thinking, tool_use or
// compaction.
type ContentBlock struct {
	Type string  `json:"type"`
	Text *string `json:"text,omitempty"`
	// A text block's citations: null (the proxy cites nothing), sent as
	// Anthropic's SDKs type it, always there.
	Citations json.RawMessage `json:"citations,omitempty"`
	Thinking  *string         `json:"thinking,omitempty"`
	Signature *string         `json:"signature,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	// A tool_use block's caller: the model ({"type":"direct"}), as the
	// SDKs type it, always there (there is no programmatic calling here).
	Caller json.RawMessage `json:"caller,omitempty"`
	// A compaction block's summary (a string), and its encrypted_content
	// (null: the proxy keeps nothing opaque); a web_search_tool_result's
	// results ([]WebSearchResult).
	Content          any             `json:"content,omitempty"`
	ToolUseID        string          `json:"tool_use_id,omitempty"` // a web_search_tool_result's server_tool_use
	EncryptedContent json.RawMessage `json:"encrypted_content,omitempty"`
	ToolChanges      json.RawMessage `json:"tool_changes,omitempty"`
}

// Usage is an answer's token count (Qwen's: the prompt tokens it read from
// its cache, when it says so, in cache_read_input_tokens; it writes no
// cache entries a client asked for). Every field of Anthropic's is sent, as
// its SDKs type them all as present: what does not apply is zero or null.
type Usage struct {
	InputTokens              int                  `json:"input_tokens"`
	OutputTokens             int                  `json:"output_tokens"`
	CacheCreationInputTokens int                  `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int                  `json:"cache_read_input_tokens"`
	CacheCreation            CacheCreation        `json:"cache_creation"`
	OutputTokensDetails      *OutputTokensDetails `json:"output_tokens_details"` // nil: Qwen counted no thinking
	ServiceTier              string               `json:"service_tier"`          // "standard", see NewUsage
	ServerToolUse            *ServerToolUsage     `json:"server_tool_use"`       // null: no search was made
	InferenceGeo             *string              `json:"inference_geo"`
	Speed                    *string              `json:"speed"`
}

// ServerToolUsage counts the server tools' requests of an answer: Qwen's
// web searches (it fetches no pages as a tool of its own).
type ServerToolUsage struct {
	WebSearchRequests int `json:"web_search_requests"`
	WebFetchRequests  int `json:"web_fetch_requests"`
}

// WebSearchResult is one page of a web_search_tool_result. Its
// encrypted_content is empty (Anthropic's is an opaque copy of the page for
// citing it later; Qwen gives none, and the proxy reads none back), its
// page_age null (Qwen does not say).
type WebSearchResult struct {
	Type             string  `json:"type"` // "web_search_result"
	URL              string  `json:"url"`
	Title            string  `json:"title"`
	EncryptedContent string  `json:"encrypted_content"`
	PageAge          *string `json:"page_age"`
}

// ServerToolUseBlock is Qwen's web search as Anthropic's server tool call:
// the query it searched for as its input.
func ServerToolUseBlock(id, query string) ContentBlock {
	input, _ := json.Marshal(map[string]string{"query": query}) // a string: cannot fail
	return ContentBlock{Type: "server_tool_use", ID: id, Name: "web_search", Input: input, Caller: directCaller}
}

// WebSearchToolResultBlock is what the search found (title and URL of each
// page), the result of the server_tool_use block id.
func WebSearchToolResultBlock(id string, pages []WebSearchResult) ContentBlock {
	if pages == nil {
		pages = []WebSearchResult{}
	}
	return ContentBlock{Type: "web_search_tool_result", ToolUseID: id, Content: pages, Caller: directCaller}
}

// CacheCreation is the prompt cache written, by lifetime: none here.
type CacheCreation struct {
	Ephemeral1hInputTokens int `json:"ephemeral_1h_input_tokens"`
	Ephemeral5mInputTokens int `json:"ephemeral_5m_input_tokens"`
}

// OutputTokensDetails splits the output tokens: those spent thinking.
type OutputTokensDetails struct {
	ThinkingTokens int `json:"thinking_tokens"`
}

// NewUsage is a usage of input and output tokens, thinking of them the
// output tokens spent thinking as Qwen counts them (0: not counted). Every
// call is served at the standard tier (service_tier is ignored).
func NewUsage(input, output, thinking int) Usage {
	u := Usage{InputTokens: input, OutputTokens: output, ServiceTier: "standard"}
	if thinking > 0 {
		u.OutputTokensDetails = &OutputTokensDetails{ThinkingTokens: thinking}
	}
	return u
}

// deltaUsage is u as message_delta carries it: Anthropic's
// MessageDeltaUsage, the counters without the tier, geography and speed.
func deltaUsage(u Usage) any {
	return struct {
		InputTokens              int                  `json:"input_tokens"`
		OutputTokens             int                  `json:"output_tokens"`
		CacheCreationInputTokens int                  `json:"cache_creation_input_tokens"`
		CacheReadInputTokens     int                  `json:"cache_read_input_tokens"`
		OutputTokensDetails      *OutputTokensDetails `json:"output_tokens_details"`
		ServerToolUse            *ServerToolUsage     `json:"server_tool_use"`
	}{u.InputTokens, u.OutputTokens, u.CacheCreationInputTokens, u.CacheReadInputTokens, u.OutputTokensDetails, u.ServerToolUse}
}

// Signature is the thinking blocks' signature. Anthropic's is an opaque
// proof for its own servers; clients only store and resend it, and the proxy
// ignores it when they do.
const Signature = "qwenproxy"

// TextBlock, ThinkingBlock and ToolUseBlock build answer blocks.
func TextBlock(text string) ContentBlock {
	return ContentBlock{Type: "text", Text: &text, Citations: noCitations}
}

// noCitations and directCaller are a text block's citations and a
// tool_use block's caller.
var (
	noCitations  = json.RawMessage("null")
	directCaller = json.RawMessage(`{"type":"direct"}`)
)

// ThinkingBlock is the model's reasoning.
func ThinkingBlock(thinking string) ContentBlock {
	sig := Signature
	return ContentBlock{Type: "thinking", Thinking: &thinking, Signature: &sig}
}

// ToolUseBlock is a call; arguments is a JSON object, or the beginning of
// one when the answer broke off in it.
func ToolUseBlock(c qp.ToolCall) ContentBlock {
	input := json.RawMessage(c.Arguments)
	if !json.Valid(input) {
		input = closedInput(c.Arguments)
	}
	return ContentBlock{Type: "tool_use", ID: ToolUseID(c.ID), Name: c.Name, Input: input, Caller: directCaller}
}

// StopReason says a core finish reason in Anthropic's words.
func StopReason(finish string) string {
	switch finish {
	case qp.FinishToolCalls:
		return "tool_use"
	case qp.FinishLength:
		return "max_tokens"
	}
	return "end_turn"
}

// ErrorType is Anthropic's error type for an HTTP status
// (https://docs.anthropic.com/en/api/errors).
func ErrorType(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusRequestTimeout, http.StatusUnsupportedMediaType,
		http.StatusRequestHeaderFieldsTooLarge:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case http.StatusGatewayTimeout:
		return "timeout_error"
	case http.StatusServiceUnavailable, 529:
		return "overloaded_error"
	}
	return "api_error"
}

// ErrorBody is e in Anthropic's envelope:
// {"type":"error","error":{"type":…,"message":…},"request_id":…}, the
// request_id (the request-id header's) left out when requestID is "".
// Anthropic's errors carry it in the body too, for a client that logs the
// body rather than the headers.
func ErrorBody(e *openai.Error, requestID string) []byte {
	b, _ := json.Marshal(struct {
		Type      string      `json:"type"`
		Error     errorDetail `json:"error"`
		RequestID string      `json:"request_id,omitempty"`
	}{"error", errorDetailOf(e), requestID}) // strings only: cannot fail
	return b
}

type errorDetail struct {
	Type    string        `json:"type"`
	Message string        `json:"message"`
	Details *errorDetails `json:"details,omitempty"`
}

// errorDetails is the error's details: error_code, the stable code the
// Anthropic SDKs read (APIError.errorCode) and act on — a thread_not_found
// has their thread helpers replay the whole conversation.
type errorDetails struct {
	ErrorCode string `json:"error_code"`
}

// errorDetailOf is e as the error object of Anthropic's envelope and error
// event.
func errorDetailOf(e *openai.Error) errorDetail {
	d := errorDetail{Type: errorTypeOf(e), Message: e.SentMessage()}
	if slices.Contains(anthropicCodes, e.Code) {
		d.Details = &errorDetails{e.Code}
	}
	return d
}

// anthropicCodes are the codes of Anthropic's own errors that the proxy
// gives, sent as details.error_code. Its other codes are its own
// (model_not_found, tool_choice_unmet, …), in the OpenAI envelope's code.
var anthropicCodes = []string{CodeThreadNotFound}

// errorTypeOf is e's Anthropic error type: its status's, except that a 503
// the client is told not to retry (X-Should-Retry: false: no credentials
// configured, every account resting for over a minute) is an api_error, not
// an overloaded_error. Claude Code takes an overloaded_error for an
// overloaded Anthropic (529) and retries it for about three minutes whatever
// X-Should-Retry says, then reports "Repeated 529 Overloaded errors"; an
// api_error with the header it reports at once, with the proxy's message.
func errorTypeOf(e *openai.Error) string {
	t := ErrorType(e.Status)
	if t == "overloaded_error" && httpjson.NotToRetry(e) {
		return "api_error"
	}
	return t
}
