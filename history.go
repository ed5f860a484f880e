package qwenproxy

import (
	"context"
	"encoding/json"
	"time"
)

// TimeRange bounds a query; a zero end is open.
type TimeRange struct {
	Start, End time.Time // Start inclusive, End exclusive
}

// Cursor is a keyset position: the sort value and id of a row.
type Cursor struct {
	Value int64
	ID    int64
}

// ListOptions page and sort a list. Either Offset or a cursor is used.
type ListOptions struct {
	Limit  int
	Offset int
	After  *Cursor // the page after this row, in sort order
	Before *Cursor // the page before this row, in sort order
	Sort   string  // a whitelisted column; "" for the list's default
	Asc    bool
	Bodies bool // include stored bodies
	// NoTotal skips counting the matching rows (Total is then -1): paging
	// through millions of rows should not count them on every page.
	NoTotal bool
}

// ListResult is one page of a list.
type ListResult[T any] struct {
	Items   []T
	Total   int
	HasMore bool    // more rows beyond this page in the direction of travel: after it, or before it when paged with Before
	Next    *Cursor // cursor of the last row, when rows follow it
	Prev    *Cursor // cursor of the first row, when rows precede it
}

// SessionFilter selects sessions; fields combine with AND.
type SessionFilter struct {
	Model   string
	Account string // the Qwen account its chat belongs to
	// APIKeyID is the proxy API key that opened the session (its id).
	APIKeyID string
	Search   string // substring of the first user message
	Range    TimeRange
}

// CallFilter selects recorded calls; fields combine with AND.
type CallFilter struct {
	SessionID string
	// ClientSessionID is the client's own conversation id the calls were
	// recorded with (Request.ClientSessionID).
	ClientSessionID string
	// Model is, in the request list (and exports), the model the client
	// asked for (requests.model); in the response list, the Qwen model
	// that answered (responses.model).
	Model string
	// ResponseModel is the Qwen model that answered (responses.model), in
	// every list: the model statistics group calls by, which MODEL_MAP, a
	// variant suffix (-thinking, -search, -image) or a default-mapped
	// gpt-*, chatgpt-*, claude-* or dall-e-* name make another than the one asked for.
	ResponseModel string
	Stream        *bool
	Status        string // success or error
	FinishReason  string
	Account       string // the Qwen account that served the call
	APIKeyID      string // the proxy API key that made the call (its id)
	// ErrorType is why a failed call ended (one of ErrorTypes): its
	// response's error_type.
	ErrorType string
	Range     TimeRange
}

// SessionRecord is a session as listed, with its number of calls.
type SessionRecord struct {
	Session
	RequestCount int
}

// RequestRecord is a recorded call's request with its response.
type RequestRecord struct {
	ID           int64
	RequestID    string
	SessionID    string
	Timestamp    time.Time
	Method, Path string
	Model        string
	Stream       bool
	ClientIP     string
	UserAgent    string
	// ClientSessionID is the client's own conversation id
	// (Request.ClientSessionID), "" for none or a call recorded before it
	// was kept (migration 0049).
	ClientSessionID string
	APIKeyID        string
	Account         string
	IgnoredParams   []string        // fields accepted without effect
	OpenAIRequest   json.RawMessage // nil unless bodies were asked for
	QwenRequest     json.RawMessage
	// ReferencedItems are the items a Responses API request's references
	// named when it was answered (Request.ReferencedItems); read by
	// HistoryStore.Request only (nil in lists and exports), for the
	// Responses API's reads: never part of what the history shows.
	ReferencedItems json.RawMessage
	// Replaces is the request id of the call whose answer this one's
	// replaced (Request.Replaces), "" for none or a call recorded before
	// it was kept (migration 0046).
	Replaces string
	Response *ResponseRecord // nil if the call has no response row
}

// ResponseRecord is a recorded call's outcome.
type ResponseRecord struct {
	ID               int64
	RequestID        int64 // requests.id
	RequestUUID      string
	SessionID        string
	ResponseID       string
	Timestamp        time.Time
	Model            string // the Qwen model that answered
	RequestModel     string // the model its client asked for (requests.model)
	Stream           bool
	Status           string
	HTTPStatus       int
	FinishReason     string
	ChatID, ParentID string
	APIKeyID         string // the proxy API key that made the call (its id), "" without keys
	Account          string
	PromptTokens     int
	CompletionTokens int
	TotalTokens      int
	TTFTMillis       *float64
	DurationMillis   float64 // stored in microseconds
	UpstreamAttempts int     // completion attempts and image uploads' requests
	NewChatAttempts  int     // attempts to open a Qwen chat
	UpstreamErrors   string  // how each failed attempt failed, "; "-separated
	ErrorType        string
	Error            string
	OpenAIResponse   json.RawMessage
	QwenResponse     json.RawMessage
}

// StatsQuery selects the calls statistics are computed over.
type StatsQuery struct {
	SessionID string
	// ClientSessionID is the client's own conversation id the calls were
	// recorded with (Request.ClientSessionID): like one session's, its
	// statistics are exact, read from its calls.
	ClientSessionID string
	Model           string
	Account         string
	APIKeyID        string // the proxy API key that made the calls (its id)
	Range           TimeRange
	Bucket          string // "", "hour" or "day"
}

// Distribution summarises durations in milliseconds.
type Distribution struct {
	Count              int64
	Avg, P50, P95, P99 float64
}

// StatsGroup is the statistics of one group of calls.
type StatsGroup struct {
	Key              string // model name or bucket start (RFC 3339); "" for totals
	Requests         int64
	Errors           int64
	PromptTokens     int64
	CompletionTokens int64
	TotalTokens      int64
	Duration         Distribution
	TTFT             Distribution
}

// Stats are totals and breakdowns of recorded calls.
type Stats struct {
	Totals  StatsGroup
	ByModel []StatsGroup
	// ByAccount groups by the Qwen account that served the calls ("" for
	// calls that reached none).
	ByAccount []StatsGroup
	ByBucket  []StatsGroup
	// ByErrorType counts the failed calls by why they ended (error_type),
	// most first.
	ByErrorType []ErrorTypeCount
	// Approximate is set when percentiles come from histograms (whole-range
	// statistics) rather than from every value (one session's, or one
	// client session's).
	Approximate bool
}

// ErrorTypeCount is how many calls ended with one error type.
type ErrorTypeCount struct {
	ErrorType string
	Calls     int64
}

// HistoryStore answers questions about what went through.
type HistoryStore interface {
	ListSessions(ctx context.Context, f SessionFilter, o ListOptions) (*ListResult[SessionRecord], error)
	SessionRecord(ctx context.Context, id string) (*SessionRecord, error)
	DeleteSession(ctx context.Context, id string) error
	ListRequests(ctx context.Context, f CallFilter, o ListOptions) (*ListResult[RequestRecord], error)
	// Request returns one call with bodies and its full response; key is
	// the numeric id or the request UUID.
	Request(ctx context.Context, key string) (*RequestRecord, error)
	ListResponses(ctx context.Context, f CallFilter, o ListOptions) (*ListResult[ResponseRecord], error)
	// Response returns one recorded response with bodies; key is the numeric
	// id or the response UUID.
	Response(ctx context.Context, key string) (*ResponseRecord, error)
	Stats(ctx context.Context, q StatsQuery) (*Stats, error)
	// Export streams every call in range, oldest first, to fn.
	Export(ctx context.Context, f CallFilter, bodies bool, fn func(*RequestRecord) error) error
	// DeleteRequestsBefore deletes calls older than before, at most batch
	// rows per transaction, and returns how many it deleted (those of the
	// transactions committed, also with an error). committed, if not nil,
	// is told the running total as each transaction commits: a caller
	// bounds each transaction's wait (the history API) or shows progress
	// (the CLI) from it.
	DeleteRequestsBefore(ctx context.Context, before time.Time, batch int, committed func(deleted int)) (int, error)
	// ReclaimSpace gives freed pages back to the file system.
	ReclaimSpace(ctx context.Context) error
}

// ResponseObjectStore keeps which Responses API objects their owners
// deleted: the calls stay recorded, the objects are no longer served.
type ResponseObjectStore interface {
	DeleteResponseObject(ctx context.Context, requestID string, at time.Time) error
	ResponseObjectDeleted(ctx context.Context, requestID string) (bool, error)
	// CallWithItem returns the request UUID of the latest call of the key
	// keyID ("" without keys) whose request gave one of its input items the
	// id itemID (an item_reference names it so), "" for none: none either
	// once that call is gone, though an older one carried the id too.
	CallWithItem(ctx context.Context, keyID, itemID string) (string, error)
}
