package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
)

// `stats --client-session ID` shows the statistics of the calls a client
// sent with that id of its own conversation (an agent's session): their
// calls, errors by type and tokens, exact as one session's, the calls of
// another client session and those sent with none left out. `stats` had no
// such flag (exit 2), so an agent session's cost was the sum of `requests`.
// A value no call can be recorded with is refused as `requests` refuses it,
// with the history API's words (exit 1).
func TestStatsOfAClientSession(t *testing.T) {
	at := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	call := func(id, client, errorType string, prompt, completion int, d time.Duration) qp.Exchange {
		e := qp.Exchange{
			Request: qp.Request{RequestID: id, Timestamp: at, Method: "POST", Path: "/v1/messages", Model: "qwen3-coder-plus", ClientSessionID: client,
				OpenAIRequest: []byte(`{}`)},
			Response: qp.Response{ResponseID: "r" + id, Timestamp: at.Add(d), Status: qp.StatusSuccess, HTTPStatus: 200, PromptTokens: prompt,
				CompletionTokens: completion, TotalTokens: prompt + completion, Duration: d, OpenAIResponse: []byte(`{}`)},
		}
		if errorType != "" {
			e.Response.Status, e.Response.HTTPStatus, e.Response.ErrorType = qp.StatusError, 502, errorType
		}
		return e
	}
	calls := []qp.Exchange{
		call("a1", "c253dc9b-5991-4b17-9cba-0129827917e3", "", 1200, 80, time.Second),
		call("a2", "c253dc9b-5991-4b17-9cba-0129827917e3", "", 1500, 120, 3*time.Second),
		call("a3", "c253dc9b-5991-4b17-9cba-0129827917e3", qp.ErrorTypeUpstreamTimeout, 0, 0, 2*time.Second),
		call("o1", "ses_other", qp.ErrorTypeRateLimited, 9, 9, time.Second),
		call("n1", "", qp.ErrorTypeUpstreamTimeout, 5000, 5, time.Second),
	}
	db := historyOf(t, calls...)

	out, errOut, code := runCLI(t, db, "stats", "--json", "--client-session", "c253dc9b-5991-4b17-9cba-0129827917e3")
	var got struct {
		SessionID       string `json:"session_id"`
		ClientSessionID string `json:"client_session_id"`
		Statistics      struct {
			Calls      int64 `json:"total_responses"`
			Errors     int64 `json:"errors"`
			Prompt     int64 `json:"total_prompt_tokens"`
			Completion int64 `json:"total_completion_tokens"`
			Duration   struct {
				Count int64   `json:"count"`
				P50   float64 `json:"p50"`
			} `json:"duration_ms"`
		} `json:"statistics"`
		ByErrorType []struct {
			ErrorType string `json:"error_type"`
			Errors    int64  `json:"errors"`
		} `json:"by_error_type"`
		Percentiles string `json:"percentiles"`
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("stats --json --client-session: exit %d, %v: %s%s", code, err, out, errOut)
	}
	s := got.Statistics
	// a1, a2 and a3: 2,700 prompt and 200 completion tokens, one
	// upstream_timeout, durations of 1, 3 and 2 s.
	if s.Calls != 3 || s.Errors != 1 || s.Prompt != 2700 || s.Completion != 200 || s.Duration.Count != 3 || s.Duration.P50 != 2000 ||
		len(got.ByErrorType) != 1 || got.ByErrorType[0].ErrorType != qp.ErrorTypeUpstreamTimeout || got.ByErrorType[0].Errors != 1 ||
		got.Percentiles != "exact" || got.ClientSessionID != "c253dc9b-5991-4b17-9cba-0129827917e3" || got.SessionID != "all" {
		t.Fatalf("stats --json --client-session: %s", out)
	}

	// The table: its three calls, no note of approximate percentiles.
	out, errOut, code = runCLI(t, db, "stats", "--client-session", "ses_other")
	if code != 0 || strings.Contains(out, "approximate") {
		t.Fatalf("stats --client-session ses_other: exit %d: %s%s", code, out, errOut)
	}
	var all []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "all" {
			all = f
		}
	}
	if len(all) < 5 || all[1] != "1" || all[2] != "100.0%" || all[3] != "9" || !strings.Contains(out, qp.ErrorTypeRateLimited) || strings.Contains(out, qp.ErrorTypeUpstreamTimeout) {
		t.Fatalf("stats --client-session ses_other:\n%s", out)
	}

	for _, bad := range []string{"a b", "ses/x", strings.Repeat("x", qp.ClientSessionIDMax+1)} {
		_, statsErr, statsCode := runCLI(t, db, "stats", "--client-session", bad)
		_, listErr, listCode := runCLI(t, db, "requests", "--client-session", bad)
		if statsCode != 1 || listCode != 1 || !strings.Contains(statsErr, "--client-session: client_session_id must be at most 128 bytes") ||
			strings.TrimPrefix(statsErr, "qwenproxy stats: ") != strings.TrimPrefix(listErr, "qwenproxy requests: ") {
			t.Errorf("--client-session %.20q: stats exit %d %q, requests exit %d %q", bad, statsCode, statsErr, listCode, listErr)
		}
	}
}
