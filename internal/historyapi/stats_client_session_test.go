package historyapi

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// clientSessionCall is one recorded call of seedClientSessions.
type clientSessionCall struct {
	id, client, session, model, account, errorType string
	after                                          time.Duration // after the first call
	prompt, completion                             int
	duration                                       time.Duration
}

// seedClientSessions records the calls of two agents' sessions (ses_agent,
// ses_other) and a call sent with none, each agent's partly in one proxy
// session (s-a), over two hours; it returns the first call's time.
func seedClientSessions(t *testing.T, st *sqlstore.Store) time.Time {
	t.Helper()
	// Ten minutes into an hour two hours ago: the calls an hour later are
	// in the next hour's bucket.
	at := time.Now().UTC().Truncate(time.Hour).Add(-2*time.Hour + 10*time.Minute)
	calls := []clientSessionCall{
		{"a1", "ses_agent", "s-a", "qwen3-coder-plus", "a@example.com", "", 0, 100, 20, time.Second},
		{"a2", "ses_agent", "s-a", "qwen3-max", "b@example.com", "", time.Hour, 300, 40, 3 * time.Second},
		{"a3", "ses_agent", "", "qwen3-max", "", qp.ErrorTypeUpstreamTimeout, time.Hour + time.Minute, 0, 0, 2 * time.Second},
		{"o1", "ses_other", "s-a", "qwen3-max", "a@example.com", qp.ErrorTypeRateLimited, 2 * time.Minute, 7, 7, 500 * time.Millisecond},
		{"o2", "ses_other", "", "qwen3-max", "a@example.com", "", time.Hour + 2*time.Minute, 1000, 50, 4 * time.Second},
		{"n1", "", "", "qwen3-max", "b@example.com", qp.ErrorTypeUpstreamTimeout, 3 * time.Minute, 5000, 0, 6 * time.Second},
	}
	b := qp.Batch{Sessions: []qp.Session{{ID: "s-a", ChatID: "chat-a", ParentID: "p", Model: "qwen3-max", FirstUserMessage: "hello",
		MessageCount: 3, ConversationKey: "ka", CreatedAt: at, LastAccessed: at, ExpiresAt: at.Add(3 * time.Hour)}}}
	for _, c := range calls {
		ts := at.Add(c.after)
		rs := qp.Response{ResponseID: "resp-" + c.id, Model: c.model, Timestamp: ts.Add(c.duration), Status: qp.StatusSuccess, HTTPStatus: 200,
			FinishReason: "stop", PromptTokens: c.prompt, CompletionTokens: c.completion, TotalTokens: c.prompt + c.completion,
			FirstTokenAt: ts.Add(c.duration / 4), Duration: c.duration, UpstreamAttempts: 1}
		if c.errorType != "" {
			rs.Status, rs.HTTPStatus, rs.FinishReason, rs.ErrorType, rs.ErrorMessage = qp.StatusError, 502, "", c.errorType, "failed"
		}
		b.Exchanges = append(b.Exchanges, qp.Exchange{
			Request: qp.Request{RequestID: "req-" + c.id, SessionID: c.session, Timestamp: ts, Method: "POST", Path: "/v1/chat/completions",
				Model: c.model, ClientIP: "127.0.0.1", UserAgent: "agent", ClientSessionID: c.client, Account: c.account},
			Response: rs})
	}
	mustWrite(t, st, b)
	return at
}

// statsOf is GET target's statistics, failing the test unless a 200.
func statsOf(t *testing.T, a *API, target string) StatsJSON {
	t.Helper()
	w := serve(a.Stats, "GET", target)
	var got StatsJSON
	if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != 200 || err != nil {
		t.Fatalf("GET %s: %d %v %s", target, w.Code, err, w.Body)
	}
	return got
}

// The statistics under client_session_id are those of the calls recorded
// with that id, as the response list under the same filter holds them:
// counted, their tokens summed, their errors by type, their durations'
// percentiles exact (from the calls, as one session's are), grouped by
// model, account and bucket, and under the other filters too. The
// statistics did not take it: a 400 unknown_parameter, so an agent's
// session's cost could not be asked for.
func TestStatsOfAClientSession(t *testing.T) { storetest.Each(t, testStatsOfAClientSession) }

func testStatsOfAClientSession(t *testing.T, dbURL string) {
	a, st := apiOver(t, dbURL)
	at := seedClientSessions(t, st)
	for _, c := range []struct {
		query string
		want  []string // the calls' request ids
	}{
		{"client_session_id=ses_agent", []string{"req-a1", "req-a2", "req-a3"}},
		{"client_session_id=ses_agent&bucket=hour", []string{"req-a1", "req-a2", "req-a3"}},
		{"client_session_id=ses_other&bucket=day", []string{"req-o1", "req-o2"}},
		{"client_session_id=ses_agent&session_id=s-a", []string{"req-a1", "req-a2"}},
		{"client_session_id=ses_agent&model=qwen3-max", []string{"req-a2", "req-a3"}},
		{"client_session_id=ses_other&account=a%40example.com", []string{"req-o1", "req-o2"}},
		{"client_session_id=ses_agent&start=" + url.QueryEscape(at.Add(30*time.Minute).Format(time.RFC3339)), []string{"req-a2", "req-a3"}},
		{"client_session_id=ses_agent&end=" + url.QueryEscape(at.Add(30*time.Minute).Format(time.RFC3339)), []string{"req-a1"}},
		{"client_session_id=ses_agent&api_key_id=key-none", nil},
		{"client_session_id=ses_none", nil},
	} {
		q, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		sq, apiErr := StatsQueryFrom(q, time.Now())
		if apiErr != nil {
			t.Fatalf("%s: %v", c.query, apiErr)
		}
		// The calls those filters select, from the response list: what the
		// statistics must add up.
		f := qp.CallFilter{SessionID: sq.SessionID, ClientSessionID: sq.ClientSessionID, ResponseModel: sq.Model, Account: sq.Account,
			APIKeyID: sq.APIKeyID, Range: sq.Range}
		list, err := st.ListResponses(context.Background(), f, qp.ListOptions{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		var want StatsJSON
		byType := map[string]int64{}
		var durations []float64
		for _, r := range list.Items {
			ids = append(ids, r.RequestUUID)
			want.Statistics.TotalResponses++
			want.Statistics.TotalPromptTokens += int64(r.PromptTokens)
			want.Statistics.TotalCompletionTokens += int64(r.CompletionTokens)
			want.Statistics.TotalTokens += int64(r.TotalTokens)
			durations = append(durations, r.DurationMillis)
			if r.Status == qp.StatusError {
				want.Statistics.Errors++
				byType[r.ErrorType]++
			}
		}
		slices.Sort(ids)
		if !slices.Equal(ids, c.want) {
			t.Fatalf("%s: the response list has %v, want %v", c.query, ids, c.want)
		}
		for _, path := range []string{"/v1/stats?", "/v1/responses/stats?"} {
			got := statsOf(t, a, path+c.query)
			g := got.Statistics
			if g.TotalResponses != want.Statistics.TotalResponses || g.Errors != want.Statistics.Errors ||
				g.TotalPromptTokens != want.Statistics.TotalPromptTokens || g.TotalCompletionTokens != want.Statistics.TotalCompletionTokens ||
				g.TotalTokens != want.Statistics.TotalTokens {
				t.Errorf("GET %s%s: %+v, want the calls' %+v", path, c.query, g, want.Statistics)
			}
			if got.Percentiles != "exact" || got.ClientSessionID != sq.ClientSessionID || got.SessionID != cmp.Or(sq.SessionID, "all") {
				t.Errorf("GET %s%s: percentiles %q, client_session_id %q, session_id %q", path, c.query, got.Percentiles, got.ClientSessionID, got.SessionID)
			}
			if g.DurationMS.Count != int64(len(durations)) {
				t.Errorf("GET %s%s: %d durations, want %d", path, c.query, g.DurationMS.Count, len(durations))
			}
			if len(durations) == 3 { // exact: the middle one, which a histogram's bucket would not give
				slices.Sort(durations)
				if g.DurationMS.P50 != durations[1] {
					t.Errorf("GET %s%s: p50 %v of %v", path, c.query, g.DurationMS.P50, durations)
				}
			}
			gotTypes := map[string]int64{}
			for _, e := range got.ByErrorType {
				gotTypes[e.ErrorType] = e.Errors
			}
			if len(gotTypes) != len(byType) || len(got.ByErrorType) != len(byType) {
				t.Errorf("GET %s%s: by_error_type %+v, want %v", path, c.query, got.ByErrorType, byType)
			}
			for k, n := range byType {
				if gotTypes[k] != n {
					t.Errorf("GET %s%s: by_error_type %+v, want %v", path, c.query, got.ByErrorType, byType)
				}
			}
			var models, accounts, buckets int64
			for _, m := range got.ByModel {
				models += m.TotalResponses
			}
			for _, m := range got.ByAccount {
				accounts += m.TotalResponses
			}
			if got.ByBucket != nil {
				for _, m := range *got.ByBucket {
					buckets += m.TotalResponses
				}
			}
			if n := g.TotalResponses; models != n || accounts != n || (sq.Bucket != "") != (got.ByBucket != nil) || (sq.Bucket != "" && buckets != n) {
				t.Errorf("GET %s%s: %d calls, by model %d, by account %d, by bucket %d (%v)", path, c.query, n, models, accounts, buckets, got.ByBucket != nil)
			}
		}
	}
	// ses_agent's calls by the hour they ended: a1's, then a2's and a3's.
	got := statsOf(t, a, "/v1/stats?client_session_id=ses_agent&bucket=hour")
	if b := *got.ByBucket; len(b) != 2 || b[0].TotalResponses != 1 || b[1].TotalResponses != 2 || b[1].Errors != 1 {
		t.Errorf("ses_agent by hour: %+v", b)
	}
	if len(got.ByModel) != 2 || len(got.ByAccount) != 3 {
		t.Errorf("ses_agent by model %+v, by account %+v", got.ByModel, got.ByAccount)
	}
	// The whole history's statistics are unchanged beside them.
	if all := statsOf(t, a, "/v1/stats"); all.Statistics.TotalResponses != 6 || all.ClientSessionID != "" || all.SessionID != "all" {
		t.Errorf("the whole history: %+v", all)
	}
	// One proxy session's statistics take it too.
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/v1/sessions/s-a/stats?client_session_id=ses_other", nil)
	r.SetPathValue("id", "s-a")
	a.SessionStats(w, r)
	var session struct {
		ClientSessionID string         `json:"client_session_id"`
		Statistics      statsGroupJSON `json:"statistics"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &session); w.Code != 200 || err != nil || session.Statistics.TotalResponses != 1 ||
		session.Statistics.Errors != 1 || session.ClientSessionID != "ses_other" {
		t.Errorf("GET /v1/sessions/s-a/stats?client_session_id=ses_other: %d %v %s", w.Code, err, w.Body)
	}
}

// A client_session_id no call can be recorded with is refused by the
// statistics as by the lists: a 400 invalid_filter with the lists' message.
func TestStatsRefuseAClientSessionNoCallHas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		a, st := apiOver(t, dbURL)
		seedClientSessions(t, st)
		for _, v := range []string{"a%20b", "ses%2Fx", strings.Repeat("x", qp.ClientSessionIDMax+1), "", "%C3%A9"} {
			_, want := CallFilterFrom(mustQuery(t, "client_session_id="+v), time.Now())
			if want == nil {
				t.Fatalf("the lists take client_session_id=%s", v)
			}
			for _, path := range []string{"/v1/stats", "/v1/responses/stats"} {
				w := serve(a.Stats, "GET", path+"?client_session_id="+v)
				var body struct {
					Error struct{ Message, Type, Param, Code string }
				}
				if err := json.Unmarshal(w.Body.Bytes(), &body); w.Code != 400 || err != nil || body.Error.Code != want.Code ||
					body.Error.Param != "client_session_id" || body.Error.Message != want.Message {
					t.Errorf("GET %s?client_session_id=%.20s: %d %s; want 400 %s %q", path, v, w.Code, w.Body, want.Code, want.Message)
				}
			}
		}
	})
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return q
}
