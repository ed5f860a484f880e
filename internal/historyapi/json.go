package historyapi

import (
	"cmp"
	"encoding/json"
	"time"
	"unicode/utf8"

	qp "qwenproxy"
)

// The history API keeps the original's field names; times are Unix ms, and
// empty values are null.

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type listEnvelope struct {
	Object     string  `json:"object"`
	Data       any     `json:"data"`
	Total      *int    `json:"total"`
	Limit      int     `json:"limit"`
	Offset     int     `json:"offset"`
	HasMore    bool    `json:"has_more"`
	NextCursor *string `json:"next_cursor"`
	PrevCursor *string `json:"prev_cursor"`
	SessionID  string  `json:"session_id,omitempty"`
	// Start and End are the list's start and end as the server read them
	// (Unix ms; an age such as 30d resolved by its clock), absent when not
	// given: a client that deletes what it counted (the dashboard's
	// "Delete…") passes on the same instant.
	Start *int64 `json:"start,omitempty"`
	End   *int64 `json:"end,omitempty"`
}

// envelopeOf is a list of res's rows, data, read with o over rng.
func envelopeOf[T any](res *qp.ListResult[T], o qp.ListOptions, rng qp.TimeRange, data any) listEnvelope {
	env := listEnvelope{Object: "list", Data: data, Limit: o.Limit, Offset: o.Offset, HasMore: res.HasMore,
		NextCursor: encodeCursor(res.Next), PrevCursor: encodeCursor(res.Prev), Start: unixMilli(rng.Start), End: unixMilli(rng.End)}
	if res.Total >= 0 {
		t := res.Total
		env.Total = &t
	}
	return env
}

// unixMilli is t in Unix ms, nil for the zero time.
func unixMilli(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}

// SessionJSON is a session as the API and the CLI show it.
type SessionJSON struct {
	ID               string  `json:"id"`
	ChatID           string  `json:"chat_id"`
	ParentID         *string `json:"parent_id"`
	Model            string  `json:"model"`
	MessageCount     int     `json:"message_count"`
	RequestCount     *int    `json:"request_count,omitempty"`
	FirstUserMessage string  `json:"first_user_message"`
	CreatedAt        int64   `json:"created_at"`
	LastAccessed     int64   `json:"last_accessed"`
	ExpiresAt        int64   `json:"expires_at"`
	Expired          bool    `json:"expired"`
	Account          *string `json:"account"` // the Qwen account its chat belongs to
	// ChatDeletedAt is when QWEN_DELETE_CHATS deleted the chat from its
	// account (Unix ms); null while it is there.
	ChatDeletedAt *int64 `json:"chat_deleted_at"`
	// BranchedFrom is the id of the session it branched off from (a
	// previous_response_id naming an earlier answer of that one); null for
	// none.
	BranchedFrom *string `json:"branched_from"`
	// ClientSessionID is the client's own id of its conversation that the
	// call which opened the session carried (a coding agent's session id,
	// qp.Session.ClientSessionID); null for none, and for a session opened
	// before migration 0050.
	ClientSessionID *string `json:"client_session_id"`
}

// Session is a session as the API and the CLI show it; a list item (detail
// false) truncates the first message to 100 characters.
func Session(r *qp.SessionRecord, now time.Time, detail bool) SessionJSON {
	out := SessionJSON{ID: r.ID, ChatID: r.ChatID, ParentID: nullable(r.ParentID), Model: r.Model, MessageCount: r.MessageCount,
		FirstUserMessage: r.FirstUserMessage, CreatedAt: r.CreatedAt.UnixMilli(), LastAccessed: r.LastAccessed.UnixMilli(),
		ExpiresAt: r.ExpiresAt.UnixMilli(), Expired: r.Expired(now), Account: nullable(r.Account), ChatDeletedAt: unixMilli(r.ChatDeletedAt),
		BranchedFrom: nullable(r.BranchedFrom), ClientSessionID: nullable(r.ClientSessionID)}
	if detail {
		n := r.RequestCount
		out.RequestCount = &n
	} else {
		out.FirstUserMessage = truncate(out.FirstUserMessage, 100)
	}
	return out
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

type responseSummaryJSON struct {
	ID               int64    `json:"id"`
	ResponseID       string   `json:"response_id"`
	Model            string   `json:"model"` // the Qwen model that answered: the response_model filter's
	Status           string   `json:"status"`
	HTTPStatus       int      `json:"http_status"`
	FinishReason     *string  `json:"finish_reason"`
	PromptTokens     int      `json:"prompt_tokens"`
	CompletionTokens int      `json:"completion_tokens"`
	TotalTokens      int      `json:"total_tokens"`
	DurationMS       float64  `json:"duration_ms"`
	TTFTMS           *float64 `json:"ttft_ms"`
	UpstreamAttempts int      `json:"upstream_attempts"`
	NewChatAttempts  int      `json:"new_chat_attempts"`
	ErrorType        *string  `json:"error_type"`
	Error            *string  `json:"error"`
}

type requestJSON struct {
	ID              int64                `json:"id"`
	RequestID       string               `json:"request_id"`
	SessionID       *string              `json:"session_id"`
	Timestamp       int64                `json:"timestamp"`
	Method          string               `json:"method"`
	Path            string               `json:"path"`
	Model           string               `json:"model"`
	Stream          bool                 `json:"stream"`
	ClientIP        string               `json:"client_ip"`
	UserAgent       string               `json:"user_agent"`
	ClientSessionID *string              `json:"client_session_id"` // the client's own conversation id
	APIKeyID        *string              `json:"api_key_id"`
	Account         *string              `json:"account"` // the Qwen account that served the call
	IgnoredParams   []string             `json:"ignored_params"`
	OpenAIRequest   json.RawMessage      `json:"openai_request,omitempty"`
	QwenRequest     json.RawMessage      `json:"qwen_request,omitempty"`
	ResponseSummary *responseSummaryJSON `json:"response_summary,omitempty"`
}

// Request is a call as the API and the CLI show it: a list item (with a
// response summary) or, in detail, the whole call (with the full response,
// null when there is none).
func Request(r *qp.RequestRecord, detail bool) any {
	out := requestJSON{ID: r.ID, RequestID: r.RequestID, SessionID: nullable(r.SessionID), Timestamp: r.Timestamp.UnixMilli(),
		Method: r.Method, Path: r.Path, Model: r.Model, Stream: r.Stream, ClientIP: r.ClientIP, UserAgent: r.UserAgent, ClientSessionID: nullable(r.ClientSessionID), APIKeyID: nullable(r.APIKeyID),
		Account:       nullable(r.Account),
		IgnoredParams: r.IgnoredParams, OpenAIRequest: r.OpenAIRequest, QwenRequest: r.QwenRequest}
	if detail {
		full := struct {
			requestJSON
			Response *ResponseJSON `json:"response"`
		}{requestJSON: out}
		if r.Response != nil {
			full.Response = Response(r.Response)
		}
		return full
	}
	if rs := r.Response; rs != nil {
		out.ResponseSummary = &responseSummaryJSON{ID: rs.ID, ResponseID: rs.ResponseID, Model: rs.Model, Status: rs.Status, HTTPStatus: rs.HTTPStatus,
			FinishReason: nullable(rs.FinishReason), PromptTokens: rs.PromptTokens, CompletionTokens: rs.CompletionTokens,
			TotalTokens: rs.TotalTokens, DurationMS: rs.DurationMillis, TTFTMS: rs.TTFTMillis, UpstreamAttempts: rs.UpstreamAttempts,
			NewChatAttempts: rs.NewChatAttempts, ErrorType: nullable(rs.ErrorType), Error: nullable(rs.Error)}
	}
	return out
}

// ResponseJSON is a recorded response as the API shows it.
type ResponseJSON struct {
	ID               int64           `json:"id"`
	RequestID        int64           `json:"request_id"`
	RequestUUID      string          `json:"request_uuid"`
	SessionID        *string         `json:"session_id"`
	ResponseID       string          `json:"response_id"`
	Timestamp        int64           `json:"timestamp"`
	Model            string          `json:"model"`
	Stream           bool            `json:"stream"`
	Status           string          `json:"status"`
	HTTPStatus       int             `json:"http_status"`
	FinishReason     *string         `json:"finish_reason"`
	ChatID           *string         `json:"chat_id"`
	ParentID         *string         `json:"parent_id"`
	APIKeyID         *string         `json:"api_key_id"` // the key that made the call, by its id, as the request list has it
	Account          *string         `json:"account"`
	PromptTokens     int             `json:"prompt_tokens"`
	CompletionTokens int             `json:"completion_tokens"`
	TotalTokens      int             `json:"total_tokens"`
	TTFTMS           *float64        `json:"ttft_ms"`
	DurationMS       float64         `json:"duration_ms"`
	UpstreamAttempts int             `json:"upstream_attempts"`
	NewChatAttempts  int             `json:"new_chat_attempts"`
	UpstreamErrors   *string         `json:"upstream_errors"`
	ErrorType        *string         `json:"error_type"`
	Error            *string         `json:"error"`
	OpenAIResponse   json.RawMessage `json:"openai_response,omitempty"`
	QwenResponse     json.RawMessage `json:"qwen_response,omitempty"`
}

// Response is a recorded response as the API and the CLI show it.
func Response(r *qp.ResponseRecord) *ResponseJSON {
	return &ResponseJSON{ID: r.ID, RequestID: r.RequestID, RequestUUID: r.RequestUUID, SessionID: nullable(r.SessionID), ResponseID: r.ResponseID,
		Timestamp: r.Timestamp.UnixMilli(), Model: r.Model, Stream: r.Stream, Status: r.Status, HTTPStatus: r.HTTPStatus,
		FinishReason: nullable(r.FinishReason), ChatID: nullable(r.ChatID), ParentID: nullable(r.ParentID), APIKeyID: nullable(r.APIKeyID), Account: nullable(r.Account), PromptTokens: r.PromptTokens,
		CompletionTokens: r.CompletionTokens, TotalTokens: r.TotalTokens, TTFTMS: r.TTFTMillis, DurationMS: r.DurationMillis,
		UpstreamAttempts: r.UpstreamAttempts, NewChatAttempts: r.NewChatAttempts, UpstreamErrors: nullable(r.UpstreamErrors), ErrorType: nullable(r.ErrorType), Error: nullable(r.Error),
		OpenAIResponse: r.OpenAIResponse, QwenResponse: r.QwenResponse}
}

type distributionJSON struct {
	Count int64   `json:"count"`
	Avg   float64 `json:"avg"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
}

type statsGroupJSON struct {
	Model                 string           `json:"model,omitempty"`
	Account               *string          `json:"account,omitempty"` // "" for calls that reached no account
	Bucket                string           `json:"bucket,omitempty"`
	TotalResponses        int64            `json:"total_responses"`
	Errors                int64            `json:"errors"`
	ErrorRate             float64          `json:"error_rate"`
	TotalPromptTokens     int64            `json:"total_prompt_tokens"`
	TotalCompletionTokens int64            `json:"total_completion_tokens"`
	TotalTokens           int64            `json:"total_tokens"`
	AvgDurationMS         float64          `json:"avg_duration_ms"`
	DurationMS            distributionJSON `json:"duration_ms"`
	TTFTMS                distributionJSON `json:"ttft_ms"`
}

func toStatsGroup(g qp.StatsGroup) statsGroupJSON {
	out := statsGroupJSON{TotalResponses: g.Requests, Errors: g.Errors, TotalPromptTokens: g.PromptTokens,
		TotalCompletionTokens: g.CompletionTokens, TotalTokens: g.TotalTokens, AvgDurationMS: g.Duration.Avg,
		DurationMS: distributionJSON(g.Duration), TTFTMS: distributionJSON(g.TTFT)}
	if g.Requests > 0 {
		out.ErrorRate = float64(g.Errors) / float64(g.Requests)
	}
	return out
}

// StatsJSON is statistics as the API and the CLI show them.
type StatsJSON struct {
	SessionID string `json:"session_id"`
	// ClientSessionID is the client session the statistics are of, when
	// asked for one (client_session_id).
	ClientSessionID string            `json:"client_session_id,omitempty"`
	Statistics      statsGroupJSON    `json:"statistics"`
	ByModel         []statsGroupJSON  `json:"by_model"`
	ByAccount       []statsGroupJSON  `json:"by_account"`
	ByBucket        *[]statsGroupJSON `json:"by_bucket,omitempty"` // when asked for: a list, empty when no call matched
	// ByErrorType counts the failed calls by why they ended, most first.
	ByErrorType []errorTypeCountJSON `json:"by_error_type"`
	Percentiles string               `json:"percentiles"`
}

type errorTypeCountJSON struct {
	ErrorType string `json:"error_type"`
	Errors    int64  `json:"errors"`
}

// StatsOf is the statistics st of the query q as /v1/stats shows them:
// named by q's session ("all" for none) and client session, if any.
func StatsOf(q qp.StatsQuery, st *qp.Stats) StatsJSON {
	out := Stats(cmp.Or(q.SessionID, "all"), st, q.Bucket)
	out.ClientSessionID = q.ClientSessionID
	return out
}

// Stats is statistics as the API and the CLI show them; sessionID is "all"
// for the whole history. bucket is the query's (hour, day, or "" for none).
func Stats(sessionID string, st *qp.Stats, bucket string) StatsJSON {
	out := StatsJSON{SessionID: sessionID, Statistics: toStatsGroup(st.Totals), ByModel: []statsGroupJSON{}, ByAccount: []statsGroupJSON{}, Percentiles: "exact"}
	if st.Approximate {
		out.Percentiles = "approximate"
	}
	for _, g := range st.ByModel {
		j := toStatsGroup(g)
		j.Model = g.Key
		out.ByModel = append(out.ByModel, j)
	}
	for _, g := range st.ByAccount {
		j := toStatsGroup(g)
		j.Account = &g.Key
		out.ByAccount = append(out.ByAccount, j)
	}
	out.ByErrorType = make([]errorTypeCountJSON, 0, len(st.ByErrorType))
	for _, c := range st.ByErrorType {
		out.ByErrorType = append(out.ByErrorType, errorTypeCountJSON{ErrorType: c.ErrorType, Errors: c.Calls})
	}
	if bucket == "" {
		return out
	}
	buckets := make([]statsGroupJSON, 0, len(st.ByBucket))
	for _, g := range st.ByBucket {
		j := toStatsGroup(g)
		j.Bucket = g.Key
		buckets = append(buckets, j)
	}
	out.ByBucket = &buckets
	return out
}
