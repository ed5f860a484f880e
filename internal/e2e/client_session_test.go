package e2e

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"qwenproxy/internal/historyapi"
	"qwenproxy/internal/store/storetest"
)

// The calls the coding agents make, with the headers that carry their own
// conversation id, as captured from each on the wire (README, Coding
// agents), and the id each must be recorded with.
var agentCalls = []struct {
	agent, path, body string
	header            map[string]string
	want              string // "" for none
}{
	{"Claude Code", "/v1/messages", `{"model":"claude-opus-5-5","max_tokens":64,"metadata":{"user_id":"{\"device_id\":\"00c2\",\"account_uuid\":\"\",\"session_id\":\"c253dc9b-5991-4b17-9cba-0129827917e3\"}"},"messages":[{"role":"user","content":"Claude says hi."}]}`,
		map[string]string{"anthropic-version": "2023-06-01", "X-Claude-Code-Session-Id": "c253dc9b-5991-4b17-9cba-0129827917e3"},
		"c253dc9b-5991-4b17-9cba-0129827917e3"},
	{"Codex", "/v1/responses", `{"model":"gpt-5-codex","input":"Codex says hi.","prompt_cache_key":"01a24e33-ce79-7af0-a751-253befda834c"}`,
		map[string]string{"Session-Id": "01a24e33-ce79-7af0-a751-253befda834c", "Thread-Id": "01a24e33-ce79-7af0-a751-253befda834c",
			"X-Client-Request-Id": "01a24e33-ce79-7af0-a751-253befda834c", "Originator": "codex_exec"},
		"01a24e33-ce79-7af0-a751-253befda834c"},
	{"OpenCode", "/v1/chat/completions", `{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"OpenCode says hi."}]}`,
		map[string]string{"X-Session-Id": "ses_db1cbea83ffeaLD1cwKfDRC2o4", "X-Session-Affinity": "ses_db1cbea83ffeaLD1cwKfDRC2o4"},
		"ses_db1cbea83ffeaLD1cwKfDRC2o4"},
	{"Kilo", "/v1/chat/completions", `{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"Kilo says hi."}]}`,
		map[string]string{"X-Session-Id": "ses_db1cb99a7ffe3UrLWMXn4cy7x9", "X-Title": "Kilo Code"},
		"ses_db1cb99a7ffe3UrLWMXn4cy7x9"},
	// Qwen Code and Cline send no id of theirs.
	{"Qwen Code", "/v1/chat/completions", `{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"Qwen Code says hi."}]}`,
		map[string]string{"User-Agent": "QwenCode/0.24.4 (linux; x64)"}, ""},
	// Bounds: a value is cut to 128 bytes, its characters outside
	// A-Z a-z 0-9 -_.: dropped, and one with none of those left passes the
	// word to the next header; the call is answered all the same.
	{"too long", "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"A long id."}]}`,
		map[string]string{"Session-Id": strings.Repeat("0123456789", 30)}, strings.Repeat("0123456789", 13)[:128]},
	{"bad characters", "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"A spaced id."}]}`,
		map[string]string{"X-Claude-Code-Session-Id": "  ;\t\"=,", "Session-Id": "my id;\t\"qu,oted\" é/x=1<script>"},
		"myidquotedx1script"},
}

// A call is recorded with the conversation id its agent sent (in the
// request list and detail, the JSONL and CSV exports), found by the
// client_session_id filter of the request and response lists and the
// export, and a call without one has none. An id out of bounds is cut or
// cleaned, never a reason to refuse the call.
func TestCallsAreRecordedWithTheAgentsOwnSessionID(t *testing.T) {
	storetest.EachBackend(t, testCallsAreRecordedWithTheAgentsOwnSessionID)
}

func testCallsAreRecordedWithTheAgentsOwnSessionID(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	requestIDs := map[string]string{}
	for _, c := range agentCalls {
		resp := postJSON(t, e, c.path, c.body, c.header)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", c.agent, resp.StatusCode)
		}
		requestIDs[c.agent] = resp.Header.Get("X-Request-Id")
	}
	e.sync()
	for _, c := range agentCalls {
		_, detail := getJSON(t, e, http.MethodGet, "/v1/requests/"+requestIDs[c.agent])
		if got, want := detail["client_session_id"], any(c.want); c.want == "" && got != nil || c.want != "" && got != want {
			t.Errorf("%s: recorded with client_session_id %v, want %q", c.agent, got, c.want)
		}
		if c.want == "" {
			continue
		}
		q := "client_session_id=" + url.QueryEscape(c.want)
		for _, path := range []string{"/v1/requests?", "/v1/responses?"} {
			got := list(t, e, path+q)
			if len(got) != 1 || got[0]["request_id"] != requestIDs[c.agent] && got[0]["request_uuid"] != requestIDs[c.agent] {
				t.Errorf("%s: %s%s lists %v", c.agent, path, q, got)
			}
		}
		if got := list(t, e, "/v1/requests?"+q); len(got) == 1 && got[0]["client_session_id"] != c.want {
			t.Errorf("%s: listed with client_session_id %v", c.agent, got[0]["client_session_id"])
		}
		lines := strings.Split(strings.TrimSpace(fetch(t, e, "/v1/export?format=jsonl&"+q)), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], `"client_session_id":"`+c.want+`"`) {
			t.Errorf("%s: JSONL export %v", c.agent, lines)
		}
		rows, err := csv.NewReader(strings.NewReader(fetch(t, e, "/v1/export?format=csv&"+q))).ReadAll()
		column := slices.Index(historyapi.ExportCSVHeader, "client_session_id")
		if err != nil || len(rows) != 2 || column < 0 || rows[1][column] != c.want {
			t.Errorf("%s: CSV export %v %v", c.agent, rows, err)
		}
	}
	// The filter takes only an id a call can be recorded with.
	for _, bad := range []string{strings.Repeat("a", 129), "has space", "é"} {
		status, v := getJSON(t, e, http.MethodGet, "/v1/requests?client_session_id="+url.QueryEscape(bad))
		if errObj, _ := v["error"].(map[string]any); status != 400 || errObj["code"] != "invalid_filter" || errObj["param"] != "client_session_id" {
			t.Errorf("client_session_id=%q: %d %v", bad, status, v)
		}
	}
}

// An agent's session's statistics (GET /v1/stats?client_session_id=, and
// /v1/responses/stats) are those of the calls recorded with its id, through
// the server as the agents call it: each agent's one call, with the tokens
// the response list holds for it, exact; the calls of the other agents and
// those sent with no id left out. The statistics refused the parameter.
func TestAnAgentsSessionHasItsStatistics(t *testing.T) {
	storetest.EachBackend(t, testAnAgentsSessionHasItsStatistics)
}

func testAnAgentsSessionHasItsStatistics(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	for _, c := range agentCalls {
		if resp := postJSON(t, e, c.path, c.body, c.header); resp.StatusCode != 200 {
			t.Fatalf("%s: %d", c.agent, resp.StatusCode)
		}
	}
	e.sync()
	for _, c := range agentCalls {
		if c.want == "" {
			continue
		}
		q := "client_session_id=" + url.QueryEscape(c.want)
		calls := list(t, e, "/v1/responses?"+q)
		if len(calls) != 1 {
			t.Fatalf("%s: %d calls listed", c.agent, len(calls))
		}
		for _, path := range []string{"/v1/stats?", "/v1/responses/stats?"} {
			status, v := getJSON(t, e, http.MethodGet, path+q)
			st, _ := v["statistics"].(map[string]any)
			if status != 200 || st == nil || st["total_responses"] != 1.0 || st["errors"] != 0.0 || st["total_tokens"] != calls[0]["total_tokens"] ||
				st["total_prompt_tokens"] != calls[0]["prompt_tokens"] || v["percentiles"] != "exact" || v["client_session_id"] != c.want {
				t.Errorf("%s: GET %s%s: %d %v; its call %v", c.agent, path, q, status, v, calls[0])
			}
		}
	}
	if _, v := getJSON(t, e, http.MethodGet, "/v1/stats"); v["statistics"].(map[string]any)["total_responses"] != float64(len(agentCalls)) {
		t.Errorf("GET /v1/stats: %v, want %d calls", v["statistics"], len(agentCalls))
	}
	for _, bad := range []string{strings.Repeat("a", 129), "has space", "é"} {
		status, v := getJSON(t, e, http.MethodGet, "/v1/stats?client_session_id="+url.QueryEscape(bad))
		if errObj, _ := v["error"].(map[string]any); status != 400 || errObj["code"] != "invalid_filter" || errObj["param"] != "client_session_id" {
			t.Errorf("/v1/stats?client_session_id=%q: %d %v", bad, status, v)
		}
	}
}
