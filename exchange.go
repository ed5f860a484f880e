package qwenproxy

import (
	"context"
	"time"
)

// Outcome of a recorded call.
const (
	StatusSuccess = "success"
	StatusError   = "error"
)

// Error types stored with failed calls. They say why a call ended, so an
// operator can count failures by cause.
const (
	ErrorTypeUpstream        = "upstream_error"
	ErrorTypeUpstreamTimeout = "upstream_timeout"
	ErrorTypeUpstreamAuth    = "upstream_auth"
	// ErrorTypeUpstreamFirewall: Qwen's firewall or risk control refused
	// the call (a challenge page, RGV587), not the credentials.
	ErrorTypeUpstreamFirewall = "upstream_firewall"
	ErrorTypeRateLimited      = "rate_limited"
	ErrorTypeStreamCut        = "upstream_stream_cut"
	ErrorTypeClientDisconnect = "client_disconnect"
	ErrorTypeNoCredentials    = "credentials_missing"
	// ErrorTypeAccountsUnavailable: every account was resting after
	// failures, so nothing was asked of Qwen for the call.
	ErrorTypeAccountsUnavailable = "accounts_unavailable"
	ErrorTypeInternal            = "internal_error"
	ErrorTypeDatabaseUnavailable = "database_unavailable" // the proxy's database failed the call
	ErrorTypeInvalidInput        = "invalid_input"        // a client's input found bad during the turn
	ErrorTypeServerShuttingDown  = "shutting_down"
	// ErrorTypeKeyConcurrencyLimit: the call's API key had as many calls
	// in flight as it may (keys add --max-concurrent); refused at once.
	ErrorTypeKeyConcurrencyLimit = "key_concurrency_limit"
)

// ErrorTypes are the error types a call is recorded with, in the README's
// order: the values the history's error_type filter and the dashboard's
// take.
var ErrorTypes = []string{ErrorTypeUpstream, ErrorTypeUpstreamTimeout, ErrorTypeUpstreamAuth, ErrorTypeUpstreamFirewall,
	ErrorTypeRateLimited, ErrorTypeStreamCut, ErrorTypeClientDisconnect, ErrorTypeNoCredentials, ErrorTypeAccountsUnavailable,
	ErrorTypeDatabaseUnavailable, ErrorTypeInternal, ErrorTypeInvalidInput, ErrorTypeServerShuttingDown, ErrorTypeKeyConcurrencyLimit}

// Exchange is one client call as recorded: its request and exactly one
// response, whatever the outcome.
type Exchange struct {
	Request  Request
	Response Response
}

// Request is the client's call and what the proxy sent upstream for it.
type Request struct {
	RequestID string // UUID, also returned to the client as X-Request-Id
	SessionID string // "" when the call failed before a session was reached
	Timestamp time.Time
	Method    string
	Path      string
	Model     string // the model name the client asked for
	Stream    bool
	ClientIP  string
	UserAgent string
	// ClientSessionID is the client's own id of its conversation (the id
	// a coding agent shows its user: Claude Code's session, Codex's,
	// OpenCode's), from the first of the request headers that carry one
	// (see server.clientSessionHeaders), cleaned by CleanClientSessionID;
	// "" when the client sent none.
	ClientSessionID string
	APIKeyID        string // the proxy API key that made the call; "" without keys
	Account         string // the Qwen account that served the call (id or e-mail, never a secret); "" if none was reached
	// IgnoredParams are the request fields that were accepted but had no
	// effect (the "ignored" policy, and unknown fields), in body order.
	IgnoredParams []string
	OpenAIRequest []byte // client body as received (JSON), secrets redacted
	QwenRequest   []byte // upstream body as sent (JSON); nil if never sent
	// ReferencedItems are, for a Responses API request, the items its
	// item_reference items named when it was answered: a JSON object of
	// the ids named to the items as GET …/input_items listed them, secrets
	// redacted; nil for none. Kept beside the body, never in it: a record's
	// body is what the client sent.
	ReferencedItems []byte
	// Replaces is the request id of the call whose answer this one's
	// replaced, "" for none: answered, the call was asked in place of its
	// session's latest answered turn (a Responses regenerate or retry from
	// the same previous_response_id, a Chat history asking its last turn
	// again), and the conversation as it stands goes on from its answer.
	// Metadata, kept without bodies: the transcript marks both calls by it.
	Replaces string
}

// Response is how the call ended.
type Response struct {
	ResponseID       string // UUID
	Model            string // the Qwen model that answered; "" means Request.Model
	Timestamp        time.Time
	Status           string // StatusSuccess or StatusError
	HTTPStatus       int
	FinishReason     string // stop, length, tool_calls; "" when the answer did not finish
	ChatID           string
	ParentID         string // Qwen parent id returned by this answer
	PromptTokens     int
	CompletionTokens int
	TotalTokens      int
	FirstTokenAt     time.Time // zero when no token was produced
	Duration         time.Duration
	// UpstreamAttempts counts completion attempts (retries included) and
	// the requests that upload the images given to the model (a token and a
	// put each); NewChatAttempts the attempts to open a Qwen chat (a first
	// turn's, a lost chat's replacement, an image generation's).
	UpstreamAttempts int
	NewChatAttempts  int
	// UpstreamErrors says how each failed attempt of a retried request
	// failed, in order: "endpoint: kind [status]" (qwen.Attempts).
	UpstreamErrors []string
	ErrorType      string
	ErrorMessage   string
	OpenAIResponse []byte // OpenAI-form body (assembled for streams)
	QwenResponse   []byte // upstream body, or its assembled equivalent for streams
}

// AnsweringModel is the Qwen model that answered: MODEL_MAP may have mapped
// the name the client asked for onto another.
func (e *Exchange) AnsweringModel() string {
	if e.Response.Model != "" {
		return e.Response.Model
	}
	return e.Request.Model
}

// Batch is what the recorder writes in one transaction: the latest state of
// the sessions it touched, then the exchanges (which may name them).
type Batch struct {
	Sessions  []Session
	Exchanges []Exchange
}

// BatchWriter persists batches.
type BatchWriter interface {
	WriteBatch(ctx context.Context, b Batch) error
}
