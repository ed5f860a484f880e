package server

import (
	"cmp"
	"net/http"
	"slices"
	"sync"
	"time"

	"qwenproxy/internal/historyapi"
)

// active is the calls this instance is serving now, for the dashboard's live
// view: calls are recorded only once they end, so without this a long stream
// would be invisible until its last byte.
type active struct {
	mu    sync.Mutex
	calls map[string]*activeCall
}

// activeCall is one call in progress. Its fields change as the call goes on
// (models once parsed, session once resolved, streaming once bytes flow), so
// they are read and written under the registry's lock.
type activeCall struct {
	reg       *active
	requestID string
	path      string
	started   time.Time
	model     string // the name the client asked for
	// responseModel is the Qwen model the call is sent as (MODEL_MAP's
	// target, a variant's model), which its record's response names: the
	// Live view shows it, so a row keeps its model when the call ends.
	responseModel string
	stream        bool
	sessionID     string
	streaming     bool
	// firstToken is when Qwen's answer brought its first token (text or
	// reasoning), zero before: the record's ttft, shown while the call runs.
	firstToken time.Time
	// response is a Responses call's response while it runs, served by
	// GET /v1/responses/{id} as in_progress (responses_live.go); nil for
	// other calls.
	response *liveResponse
}

func (a *active) begin(requestID, path string, started time.Time) *activeCall {
	c := &activeCall{reg: a, requestID: requestID, path: path, started: started}
	a.mu.Lock()
	if a.calls == nil {
		a.calls = map[string]*activeCall{}
	}
	a.calls[requestID] = c
	a.mu.Unlock()
	return c
}

func (c *activeCall) update(f func(*activeCall)) {
	c.reg.mu.Lock()
	f(c)
	c.reg.mu.Unlock()
}

func (c *activeCall) end() {
	c.reg.mu.Lock()
	delete(c.reg.calls, c.requestID)
	c.reg.mu.Unlock()
}

type activeJSON struct {
	RequestID string  `json:"request_id"`
	SessionID *string `json:"session_id"`
	Path      string  `json:"path"`
	Model     string  `json:"model"`
	// ResponseModel is the Qwen model the call is sent as, "" until the
	// request is read: the model its recorded response will name.
	ResponseModel string `json:"response_model"`
	Stream        bool   `json:"stream"`
	Streaming     bool   `json:"streaming"` // the answer is flowing to the client
	StartedAt     int64  `json:"started_at"`
	ElapsedMS     int64  `json:"elapsed_ms"`
	// TTFTMS is the time to Qwen's first token, as the record's ttft_ms;
	// null until it came.
	TTFTMS *int64 `json:"ttft_ms"`
}

// maxActiveListed bounds the answer; calls in progress are bounded by the
// server's concurrency anyway.
const maxActiveListed = 1000

// activeCalls serves GET /v1/requests/active: the calls this instance is
// serving now, oldest first (on PostgreSQL, other instances' calls appear in
// the history once they end).
func (s *Server) activeCalls(w http.ResponseWriter, r *http.Request) {
	if _, ok := historyapi.Query(w, r, nil); !ok {
		return
	}
	now := s.now()
	s.live.mu.Lock()
	out := make([]activeJSON, 0, len(s.live.calls))
	for _, c := range s.live.calls {
		j := activeJSON{RequestID: c.requestID, Path: c.path, Model: c.model, ResponseModel: c.responseModel, Stream: c.stream, Streaming: c.streaming,
			StartedAt: c.started.UnixMilli(), ElapsedMS: now.Sub(c.started).Milliseconds()}
		if c.sessionID != "" {
			id := c.sessionID
			j.SessionID = &id
		}
		if !c.firstToken.IsZero() {
			ttft := c.firstToken.Sub(c.started).Milliseconds()
			j.TTFTMS = &ttft
		}
		out = append(out, j)
	}
	s.live.mu.Unlock()
	slices.SortFunc(out, func(a, b activeJSON) int { return cmp.Compare(a.StartedAt, b.StartedAt) })
	if len(out) > maxActiveListed {
		out = out[:maxActiveListed]
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": out})
}

// firstToken notes when Qwen's answer brought its first token: the record's
// ttft, and the live view's while the call runs.
func (c *call) firstToken(at time.Time) {
	c.ex.Response.FirstTokenAt = at
	c.live.update(func(a *activeCall) { a.firstToken = at })
}
