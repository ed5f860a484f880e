package e2e

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	qp "qwenproxy"
	"qwenproxy/internal/config"
	"qwenproxy/internal/historyapi"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/storetest"
)

// getJSON fetches path and decodes the JSON answer into a generic map.
func getJSON(t *testing.T, e *env, method, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctxT(t), method, e.app.URL()+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s %s: %v: %s", method, path, err, b)
	}
	return resp.StatusCode, v
}

func num(v any) int { f, _ := v.(float64); return int(f) }

func list(t *testing.T, e *env, path string) []map[string]any {
	t.Helper()
	status, v := getJSON(t, e, http.MethodGet, path)
	if status != 200 || v["object"] != "list" {
		t.Fatalf("%s: %d %v", path, status, v)
	}
	var out []map[string]any
	for _, item := range v["data"].([]any) {
		out = append(out, item.(map[string]any))
	}
	return out
}

func TestHistoryAPIOverRecordedCalls(t *testing.T) {
	storetest.EachBackend(t, testHistoryAPIOverRecordedCalls)
}

func testHistoryAPIOverRecordedCalls(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	conv := &conversation{t: t, e: e}
	conv.say("Alpha one.")
	conv.say("Alpha two.")
	var resp *http.Response
	conv.msgs = append(conv.msgs, openai.UserMessage("Alpha three."))
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(conv.msgs...), option.WithResponseInto(&resp)); err != nil {
		t.Fatal(err)
	}
	lastRequestUUID := resp.Header.Get("X-Request-Id")
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), chatParams(openai.UserMessage("Beta streams.")))
	for stream.Next() {
	}
	e.sim.Inject(qwensim.Fault{Status: 401})
	_, _ = e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("Gamma fails.")))
	e.sync()
	a := conv.session

	status, v := getJSON(t, e, http.MethodGet, "/v1/sessions")
	if status != 200 || num(v["total"]) != 3 || v["has_more"] != false {
		t.Fatalf("sessions: %d %v", status, v)
	}
	if got := list(t, e, "/v1/sessions?search=ALPHA"); len(got) != 1 || got[0]["id"] != a || got[0]["first_user_message"] != "Alpha one." {
		t.Fatalf("search: %v", got)
	}
	status, v = getJSON(t, e, http.MethodGet, "/v1/sessions/"+a)
	if status != 200 || num(v["request_count"]) != 3 || num(v["message_count"]) != 3 || v["expired"] != false {
		t.Fatalf("session: %d %v", status, v)
	}
	status, v = getJSON(t, e, http.MethodGet, "/v1/sessions/"+a+"/requests")
	if status != 200 || v["session_id"] != a || num(v["total"]) != 3 || num(v["limit"]) != 100 {
		t.Fatalf("session requests: %d %v", status, v)
	}
	status, v = getJSON(t, e, http.MethodGet, "/v1/sessions/"+a+"/stats")
	usage := v["usage"].(map[string]any)
	if status != 200 || num(usage["total_responses"]) != 3 || num(usage["total_tokens"]) == 0 || v["percentiles"] != "exact" {
		t.Fatalf("session stats: %d %v", status, v)
	}
	// by_bucket only when asked for, as /v1/stats has it (it was null).
	if _, asked := v["by_bucket"]; asked {
		t.Fatalf("session stats without bucket= carry by_bucket: %v", v["by_bucket"])
	}
	if _, v := getJSON(t, e, http.MethodGet, "/v1/sessions/"+a+"/stats?bucket=hour"); len(v["by_bucket"].([]any)) != 1 {
		t.Fatalf("session stats by the hour: %v", v["by_bucket"])
	}

	failed := list(t, e, "/v1/requests?status=error")
	if len(failed) != 1 || failed[0]["response_summary"].(map[string]any)["error_type"] != "upstream_auth" {
		t.Fatalf("errors: %v", failed)
	}
	if got := list(t, e, "/v1/requests?stream=true&status=success"); len(got) != 1 || got[0]["stream"] != true {
		t.Fatalf("stream filter: %v", got)
	}
	if got := list(t, e, "/v1/requests?model=qwen3-max&session_id="+a+"&sort=timestamp&order=asc"); len(got) != 3 || got[0]["openai_request"] != nil {
		t.Fatalf("combined filters: %v", got)
	}
	// In the order they were recorded: here, one after the other.
	if got := list(t, e, "/v1/requests?sort=id&order=asc"); len(got) != 5 || num(got[0]["id"]) >= num(got[4]["id"]) {
		t.Fatalf("requests by id: %v", got)
	}
	withBodies := list(t, e, "/v1/requests?include=bodies&limit=1")
	if body, ok := withBodies[0]["openai_request"].(map[string]any); !ok || body["messages"] == nil {
		t.Fatalf("bodies not included as JSON: %v", withBodies[0])
	}

	status, byUUID := getJSON(t, e, http.MethodGet, "/v1/requests/"+lastRequestUUID)
	if status != 200 || byUUID["request_id"] != lastRequestUUID || byUUID["response"] == nil || byUUID["qwen_request"] == nil {
		t.Fatalf("request by uuid: %d %v", status, byUUID)
	}
	id := num(byUUID["id"])
	_, byID := getJSON(t, e, http.MethodGet, fmt.Sprintf("/v1/requests/%d", id))
	if byID["request_id"] != lastRequestUUID {
		t.Fatalf("request by id: %v", byID)
	}
	status, rsp := getJSON(t, e, http.MethodGet, fmt.Sprintf("/v1/requests/%d/response", id))
	if status != 200 || num(rsp["request_id"]) != id || rsp["status"] != "success" || rsp["openai_response"] == nil {
		t.Fatalf("request response: %d %v", status, rsp)
	}
	status, one := getJSON(t, e, http.MethodGet, fmt.Sprintf("/v1/responses/%d", num(rsp["id"])))
	if status != 200 || one["request"].(map[string]any)["request_id"] != lastRequestUUID {
		t.Fatalf("response: %d %v", status, one)
	}
	// The same recorded response by its UUID; a resp_ id, and any id that
	// is neither a number nor a UUID, is the Responses API's: its 404.
	status, byRespUUID := getJSON(t, e, http.MethodGet, "/v1/responses/"+one["response_id"].(string))
	if status != 200 || num(byRespUUID["id"]) != num(one["id"]) || byRespUUID["openai_response"] == nil {
		t.Fatalf("response by uuid: %d %v", status, byRespUUID)
	}
	if status, _ := getJSON(t, e, http.MethodGet, "/v1/responses/not-an-id"); status != 404 {
		t.Fatalf("response by a bad id: %d", status)
	}
	if got := list(t, e, "/v1/responses?session_id="+a); len(got) != 3 || got[0]["openai_response"] != nil {
		t.Fatalf("responses: %v", got)
	}
	if got := list(t, e, "/v1/responses?include=bodies&status=error"); len(got) != 1 || got[0]["openai_response"] == nil {
		t.Fatalf("responses with bodies: %v", got)
	}

	_, st := getJSON(t, e, http.MethodGet, "/v1/stats?bucket=day")
	totals := st["statistics"].(map[string]any)
	if num(totals["total_responses"]) != 5 || num(totals["errors"]) != 1 || totals["error_rate"] != 0.2 ||
		len(st["by_bucket"].([]any)) != 1 || len(st["by_model"].([]any)) != 1 {
		t.Fatalf("stats: %v", st)
	}
	if _, rs := getJSON(t, e, http.MethodGet, "/v1/responses/stats?session_id="+a); num(rs["statistics"].(map[string]any)["total_responses"]) != 3 {
		t.Fatalf("responses/stats: %v", rs)
	}

	// Export streams every call.
	jsonl := fetch(t, e, "/v1/export?format=jsonl")
	lines := strings.Split(strings.TrimSpace(jsonl), "\n")
	if len(lines) != 5 || !strings.Contains(lines[0], `"openai_request"`) {
		t.Fatalf("jsonl export: %d lines", len(lines))
	}
	csvText := fetch(t, e, "/v1/export?format=csv&status=error")
	rows, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
	if err != nil || len(rows) != 2 || !slices.Equal(rows[0], historyapi.ExportCSVHeader) {
		t.Fatalf("csv export: %v %q", err, csvText)
	}
	// Each column is the history's field of that name: how the failed
	// attempts failed too (the CSV had no upstream_errors column).
	_, failedCall := getJSON(t, e, http.MethodGet, "/v1/requests/"+failed[0]["request_id"].(string))
	failedResponse := failedCall["response"].(map[string]any)
	for i, column := range rows[0] {
		want, ok := failedCall[column]
		if !ok {
			want = failedResponse[column]
		}
		if column == "timestamp" || column == "ttft_ms" || column == "duration_ms" || column == "id" || column == "stream" {
			continue // numbers and times in the CSV's own forms
		}
		if got := rows[1][i]; got != fmt.Sprint(cmp.Or(want, any(""))) {
			t.Errorf("csv column %s = %q, the history says %v", column, got, want)
		}
	}
	if i := slices.Index(rows[0], "upstream_errors"); i < 0 || rows[1][i] == "" {
		t.Errorf("the failed call's upstream errors are not in the CSV: %v", failedResponse["upstream_errors"])
	}

	// Deleting a session removes its calls and their statistics.
	status, del := getJSON(t, e, http.MethodDelete, "/v1/sessions/"+a)
	if status != 200 || del["deleted"] != true || del["session_id"] != a {
		t.Fatalf("delete: %d %v", status, del)
	}
	if status, _ := getJSON(t, e, http.MethodGet, "/v1/sessions/"+a); status != 404 {
		t.Fatalf("deleted session still readable: %d", status)
	}
	if n := e.count(`SELECT COUNT(*) FROM requests`); n != 2 {
		t.Fatalf("%d requests after deleting a 3-call session of 5", n)
	}
	if _, st := getJSON(t, e, http.MethodGet, "/v1/stats"); num(st["statistics"].(map[string]any)["total_responses"]) != 2 {
		t.Fatalf("stats after delete: %v", st)
	}

	before := url.QueryEscape(time.Now().Add(time.Minute).Format(time.RFC3339))
	status, pruned := getJSON(t, e, http.MethodDelete, "/v1/requests?before="+before)
	if status != 200 || num(pruned["deleted"]) != 2 {
		t.Fatalf("delete before: %d %v", status, pruned)
	}
	if _, st := getJSON(t, e, http.MethodGet, "/v1/stats"); num(st["statistics"].(map[string]any)["total_responses"]) != 0 {
		t.Fatalf("stats after prune: %v", st)
	}
}

func fetch(t *testing.T, e *env, path string) string {
	t.Helper()
	resp, err := http.Get(e.app.URL() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

func TestHistoryRejectsBadParameters(t *testing.T) {
	storetest.EachBackend(t, testHistoryRejectsBadParameters)
}

func testHistoryRejectsBadParameters(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	cases := []struct{ method, path, code, param string }{
		{"GET", "/v1/sessions?limit=0", "invalid_limit", "limit"},
		{"GET", "/v1/sessions?limit=1001", "invalid_limit", "limit"},
		{"GET", "/v1/requests?limit=ten", "invalid_limit", "limit"},
		{"GET", "/v1/responses?offset=-1", "invalid_offset", "offset"},
		{"GET", "/v1/requests?after=garbage", "invalid_cursor", "after"},
		{"GET", "/v1/requests?after=MS4x&offset=5", "invalid_cursor", "after"},
		{"GET", "/v1/sessions?sort=bogus", "invalid_sort", "sort"},
		{"GET", "/v1/sessions?orderBy=" + url.QueryEscape("created_at; DROP TABLE sessions"), "invalid_sort", "orderBy"},
		{"GET", "/v1/sessions?orderBy=" + url.QueryEscape("(SELECT 1) DESC"), "invalid_sort", "orderBy"},
		{"GET", "/v1/responses?sort=duration_ms&order=sideways", "invalid_sort", "order"},
		{"GET", "/v1/requests?stream=maybe", "invalid_filter", "stream"},
		{"GET", "/v1/requests?status=meh", "invalid_filter", "status"},
		{"GET", "/v1/responses?finish_reason=bored", "invalid_filter", "finish_reason"},
		{"GET", "/v1/requests?error_type=timeout", "invalid_filter", "error_type"},
		{"GET", "/v1/export?error_type=", "invalid_filter", "error_type"},
		{"GET", "/v1/stats?error_type=rate_limited", "unknown_parameter", "error_type"},
		{"GET", "/v1/requests?start=yesterday", "invalid_date", "start"},
		{"GET", "/v1/requests?start=2000&end=1000", "invalid_date_range", "start"},
		{"GET", "/v1/requests?include=everything", "invalid_include", "include"},
		{"GET", "/v1/stats?bucket=week", "invalid_bucket", "bucket"},
		{"GET", "/v1/requests/abc", "invalid_id", "id"},
		{"DELETE", "/v1/requests", "missing_required_parameter", "before"},
		{"GET", "/v1/export?format=xml", "invalid_format", "format"},
		// Queries the history cannot read, or parameters a route does not take.
		{"GET", "/v1/requests?session_id=abc;x", "invalid_query", "session_id"},
		{"GET", "/v1/responses?model=a;b", "invalid_query", "model"},
		{"GET", "/v1/sessions?search=x;y", "invalid_query", "search"},
		{"GET", "/v1/stats?session_id=abc;x", "invalid_query", "session_id"},
		{"GET", "/v1/requests?model=%zz", "invalid_query", "model"},
		{"GET", "/v1/requests?sesion_id=abc", "unknown_parameter", "sesion_id"},
		{"GET", "/v1/sessions?status=error", "unknown_parameter", "status"},
		{"GET", "/v1/requests/1?include=bodies", "unknown_parameter", "include"},
		{"GET", "/v1/responses/1?x=1", "unknown_parameter", "x"},
		{"GET", "/v1/sessions/nope/stats?limit=5", "unknown_parameter", "limit"},
		{"DELETE", "/v1/requests?before=1;x", "invalid_query", "before"},
		{"DELETE", "/v1/requests?older_than=1d", "unknown_parameter", "older_than"},
		{"DELETE", "/v1/sessions/nope?force=true", "unknown_parameter", "force"},
		{"GET", "/v1/export?bodies=no", "invalid_bodies", "bodies"},
	}
	for _, tc := range cases {
		status, v := getJSON(t, e, tc.method, tc.path)
		errObj, _ := v["error"].(map[string]any)
		if status != 400 || errObj["code"] != tc.code || errObj["param"] != tc.param {
			t.Errorf("%s %s: %d %v", tc.method, tc.path, status, v)
		}
	}
	for _, path := range []string{"/v1/sessions/nope", "/v1/sessions/nope/stats", "/v1/sessions/nope/requests", "/v1/requests/999",
		"/v1/requests/999/response", "/v1/responses/999", "/v1/requests/00000000-0000-4000-8000-000000000000"} {
		status, v := getJSON(t, e, http.MethodGet, path)
		if code := v["error"].(map[string]any)["code"].(string); status != 404 || !strings.HasSuffix(code, "_not_found") {
			t.Errorf("%s: %d %v", path, status, v)
		}
	}
	if status, _ := getJSON(t, e, http.MethodDelete, "/v1/sessions/nope"); status != 404 {
		t.Errorf("delete unknown session: %d", status)
	}
	if status, _ := getJSON(t, e, http.MethodGet, "/v1/sessions?orderBy="+url.QueryEscape("message_count ASC")); status != 200 {
		t.Errorf("the original's orderBy form: %d", status)
	}
	e.count(`SELECT COUNT(*) FROM sessions`) // fails the test if the table is gone
}

// The history routes refuse what they cannot read: Go's query parser drops
// a pair holding ';', so ?session_id=abc;x used to list every call and
// export?format=csv;x to export JSONL with bodies. The model routes ignore
// parameters they do not use (SDKs add their own, e.g. ?beta=true).
func TestHistoryRefusesQueriesItCannotRead(t *testing.T) {
	e := start(t, nil)
	seed(t, e, 3)

	req, _ := http.NewRequestWithContext(ctxT(t), http.MethodGet, e.app.URL()+"/v1/export?format=csv;x", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || strings.Contains(string(body), `"openai_request"`) {
		t.Errorf("export?format=csv;x: %d %s", resp.StatusCode, body)
	}

	// The documented aliases stay known.
	for _, path := range []string{"/v1/sessions?orderBy=" + url.QueryEscape("created_at ASC"), "/v1/requests?start_date=0&end_date=2h",
		"/v1/requests?session_id=" + url.QueryEscape("abc;x")} {
		if status, v := getJSON(t, e, http.MethodGet, path); status != 200 {
			t.Errorf("%s: %d %v", path, status, v)
		}
	}

	// Model routes ignore what they do not use.
	for _, path := range []string{"/v1/models?beta=true", "/v1/models/qwen3-max?beta=true&x=1;y"} {
		if status, v := getJSON(t, e, http.MethodGet, path); status != 200 {
			t.Errorf("%s: %d %v", path, status, v)
		}
	}
	resp, err = http.Post(e.app.URL()+"/v1/chat/completions?beta=true&api-version=1;2", "application/json",
		strings.NewReader(`{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("chat with ?beta=true: %d", resp.StatusCode)
	}
}

// Every history route takes each parameter once: a repeated one (or an
// alias beside its parameter) is a 400 naming it, where the first value used
// to win unseen (DELETE ?before=1&before=2 deleted with before=1).
func TestHistoryRefusesARepeatedParameter(t *testing.T) {
	storetest.EachBackend(t, testHistoryRefusesARepeatedParameter)
}

func testHistoryRefusesARepeatedParameter(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	seed(t, e, 3)
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	cases := []struct{ method, path, param string }{
		{"DELETE", "/v1/requests?before=1&before=" + now, "before"},
		{"DELETE", "/v1/requests?before=" + now + "&before=" + now, "before"},
		{"GET", "/v1/requests?limit=1&limit=2", "limit"},
		{"GET", "/v1/requests?model=qwen3-max&model=qwen3-coder-plus", "model"},
		{"GET", "/v1/sessions?search=a&search=b", "search"},
		{"GET", "/v1/sessions?start=2h&start_date=1h", "start_date"},
		{"GET", "/v1/sessions?orderBy=created_at&sort=last_accessed", "orderBy"},
		{"GET", "/v1/sessions?orderBy=" + url.QueryEscape("created_at ASC") + "&order=desc", "orderBy"},
		{"GET", "/v1/sessions/nope/requests?status=error&status=success", "status"},
		{"GET", "/v1/sessions/nope/transcript?order=asc&order=desc", "order"},
		{"GET", "/v1/sessions/nope/stats?bucket=hour&bucket=day", "bucket"},
		{"GET", "/v1/responses?stream=true&stream=false", "stream"},
		{"GET", "/v1/responses/stats?end=1h&end_date=2h", "end_date"},
		{"GET", "/v1/stats?account=a&account=b", "account"},
		{"GET", "/v1/export?format=csv&format=jsonl", "format"},
		{"GET", "/v1/export?bodies=false&bodies=false", "bodies"},
	}
	for _, tc := range cases {
		status, v := getJSON(t, e, tc.method, tc.path)
		errObj, _ := v["error"].(map[string]any)
		if msg, _ := errObj["message"].(string); status != 400 || errObj["code"] != "repeated_parameter" || errObj["param"] != tc.param ||
			!strings.Contains(msg, `"`+tc.param+`"`) {
			t.Errorf("%s %s: %d %v", tc.method, tc.path, status, v)
		}
	}
	if n := e.count(`SELECT COUNT(*) FROM requests`); n != 3 {
		t.Fatalf("a refused delete deleted: %d calls left of 3", n)
	}
	// orderBy without an order beside order says each thing once.
	if status, v := getJSON(t, e, http.MethodGet, "/v1/sessions?orderBy=created_at&order=asc"); status != 200 {
		t.Errorf("orderBy with order: %d %v", status, v)
	}
}

// seed writes n calls straight into the store: models alternate, every
// third fails, timestamps one second apart.
func seed(t *testing.T, e *env, n int) {
	t.Helper()
	base := time.Now().Add(-time.Hour)
	var batch []qp.Exchange
	for i := range n {
		ts := base.Add(time.Duration(i) * time.Second)
		model := []string{"qwen3-max", "qwen3-coder-plus"}[i%2]
		status, httpStatus, finish := qp.StatusSuccess, 200, "stop"
		if i%3 == 0 {
			status, httpStatus, finish = qp.StatusError, 502, ""
		}
		batch = append(batch, qp.Exchange{
			Request: qp.Request{RequestID: fmt.Sprintf("seed-%05d", i), Timestamp: ts, Method: "POST", Path: "/v1/chat/completions", Model: model, Stream: i%4 == 0},
			Response: qp.Response{ResponseID: fmt.Sprintf("resp-%05d", i), Timestamp: ts.Add(time.Duration(i) * time.Millisecond), Status: status,
				HTTPStatus: httpStatus, FinishReason: finish, TotalTokens: i, Duration: time.Duration(i) * time.Millisecond},
		})
	}
	if err := e.app.Store().WriteExchanges(ctxT(t), batch); err != nil {
		t.Fatal(err)
	}
}

func TestKeysetPaginationMatchesOffsets(t *testing.T) {
	storetest.EachBackend(t, testKeysetPaginationMatchesOffsets)
}

func testKeysetPaginationMatchesOffsets(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	seed(t, e, 45)
	for _, base := range []string{"/v1/requests?model=qwen3-max&status=success", "/v1/responses?sort=duration_ms&order=asc", "/v1/responses?sort=total_tokens"} {
		var byOffset, byCursor []any
		for off := 0; ; off += 7 {
			page := list(t, e, fmt.Sprintf("%s&limit=7&offset=%d", base, off))
			for _, it := range page {
				byOffset = append(byOffset, it["id"])
			}
			if len(page) < 7 {
				break
			}
		}
		next := ""
		var pages []string
		for {
			_, v := getJSON(t, e, http.MethodGet, base+"&limit=7"+next)
			pages = append(pages, next)
			for _, it := range v["data"].([]any) {
				byCursor = append(byCursor, it.(map[string]any)["id"])
			}
			if v["has_more"] != true {
				break
			}
			next = "&after=" + v["next_cursor"].(string)
		}
		if len(byOffset) == 0 || fmt.Sprint(byOffset) != fmt.Sprint(byCursor) {
			t.Fatalf("%s: offset %v, cursor %v", base, byOffset, byCursor)
		}
		// Going back from the third page gives the second.
		if len(pages) >= 3 {
			_, third := getJSON(t, e, http.MethodGet, base+"&limit=7"+pages[2])
			_, back := getJSON(t, e, http.MethodGet, base+"&limit=7&before="+third["prev_cursor"].(string))
			_, second := getJSON(t, e, http.MethodGet, base+"&limit=7"+pages[1])
			if fmt.Sprint(back["data"]) != fmt.Sprint(second["data"]) {
				t.Fatalf("%s: before-cursor page differs from the page before", base)
			}
			// The second page, reached backwards, leads forward again to
			// the third, and says the first lies before it.
			if back["has_more"] != true || back["prev_cursor"] == nil || back["next_cursor"] == nil {
				t.Fatalf("%s: a page reached by before= with a page before it: %v", base, back)
			}
			if _, fwd := getJSON(t, e, http.MethodGet, base+"&limit=7&after="+back["next_cursor"].(string)); fmt.Sprint(fwd["data"]) != fmt.Sprint(third["data"]) {
				t.Fatalf("%s: after= from a before= page is not the page it came from", base)
			}
		}
		// The first page has nothing before it: no prev_cursor, and
		// before= its first row is an empty page with nothing more.
		_, top := getJSON(t, e, http.MethodGet, base+"&limit=7")
		if top["prev_cursor"] != nil {
			t.Fatalf("%s: the first page has a prev_cursor: %v", base, top["prev_cursor"])
		}
		firstID := top["data"].([]any)[0].(map[string]any)["id"]
		_, after1 := getJSON(t, e, http.MethodGet, base+"&limit=1")
		_, second1 := getJSON(t, e, http.MethodGet, base+"&limit=1&after="+after1["next_cursor"].(string))
		_, none := getJSON(t, e, http.MethodGet, base+"&limit=7&before="+second1["prev_cursor"].(string))
		if d := none["data"].([]any); len(d) != 1 || d[0].(map[string]any)["id"] != firstID || none["has_more"] != false || none["prev_cursor"] != nil {
			t.Fatalf("%s: before= the second row: %v", base, none)
		}
	}
	// Filters combine: 45 calls, model every other, errors every third.
	if got := list(t, e, "/v1/responses?model=qwen3-coder-plus&status=error&limit=1000"); len(got) != 7 {
		t.Fatalf("%d coder-plus errors, want 7", len(got))
	}
	if _, v := getJSON(t, e, http.MethodGet, "/v1/requests?finish_reason=stop&stream=false"); num(v["total"]) != 22 {
		t.Fatalf("finish_reason and stream: %v", v["total"])
	}
	first := list(t, e, "/v1/requests?sort=timestamp&order=asc&limit=1")[0]
	from := num(first["timestamp"]) + 10_000
	if _, v := getJSON(t, e, http.MethodGet, fmt.Sprintf("/v1/requests?start=%d&end=%d", from, from+10_000)); num(v["total"]) != 10 {
		t.Fatalf("time range: %v", v["total"])
	}
	if _, v := getJSON(t, e, http.MethodGet, "/v1/requests?count=false&limit=5"); v["total"] != nil || len(v["data"].([]any)) != 5 {
		t.Fatalf("count=false: %v", v)
	}
}

func TestStatsMatchTheRows(t *testing.T) { storetest.EachBackend(t, testStatsMatchTheRows) }

func testStatsMatchTheRows(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	seed(t, e, 90)
	_, st := getJSON(t, e, http.MethodGet, "/v1/stats")
	totals := st["statistics"].(map[string]any)
	dur := totals["duration_ms"].(map[string]any)
	// Durations are 0..89 ms: exact p50 is 44, p99 is 88; the histogram is
	// within its bucket width (about 10 %).
	if num(totals["total_responses"]) != 90 || num(totals["errors"]) != 30 || num(totals["total_tokens"]) != 89*90/2 ||
		dur["avg"] != 44.5 || !near(dur["p50"].(float64), 44, 0.12) || !near(dur["p99"].(float64), 88, 0.12) {
		t.Fatalf("stats: %v", totals)
	}
	for _, g := range st["by_model"].([]any) {
		if num(g.(map[string]any)["total_responses"]) != 45 {
			t.Fatalf("by model: %v", st["by_model"])
		}
	}
	// A range inside the data reads partial hours from rows and agrees with a
	// count of the rows.
	from := time.Now().Add(-time.Hour + 10*time.Second).UnixMilli()
	to := time.Now().Add(-time.Hour + 40*time.Second).UnixMilli()
	_, ranged := getJSON(t, e, http.MethodGet, fmt.Sprintf("/v1/stats?start=%d&end=%d", from, to))
	want := e.count(`SELECT COUNT(*) FROM responses WHERE timestamp >= ? AND timestamp < ?`, from, to)
	if got := num(ranged["statistics"].(map[string]any)["total_responses"]); got != want || want == 0 {
		t.Fatalf("ranged stats %d, rows %d", got, want)
	}
}

func near(got, want, tolerance float64) bool {
	return got >= want*(1-tolerance) && got <= want*(1+tolerance)
}

func TestExpiredSessionsStayReadable(t *testing.T) {
	storetest.EachBackend(t, testExpiredSessionsStayReadable)
}

func testExpiredSessionsStayReadable(t *testing.T, backend string) {
	e := startOn(t, backend, func(c *config.Config) { c.SessionTimeout = time.Millisecond })
	conv := &conversation{t: t, e: e}
	conv.say("short lived")
	e.sync()
	status, v := getJSON(t, e, http.MethodGet, "/v1/sessions/"+conv.session)
	if status != 200 || v["expired"] != true {
		t.Fatalf("%d %v", status, v)
	}
}

func TestExportStreamsLargeHistories(t *testing.T) {
	storetest.EachBackend(t, testExportStreamsLargeHistories)
}

func testExportStreamsLargeHistories(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	seed(t, e, 1200)
	resp, err := http.Get(e.app.URL() + "/v1/export?format=jsonl&bodies=false")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	n, last := 0, ""
	for sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		if id := v["request_id"].(string); id <= last {
			t.Fatalf("export out of order: %s after %s", id, last)
		} else {
			last = id
		}
		n++
	}
	if n != 1200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("%d lines, %s", n, resp.Header.Get("Content-Type"))
	}
}

func TestRetentionDeletesOldCallsInTheBackground(t *testing.T) {
	storetest.EachBackend(t, testRetentionDeletesOldCallsInTheBackground)
}

func testRetentionDeletesOldCallsInTheBackground(t *testing.T, backend string) {
	e := startOn(t, backend, func(c *config.Config) { c.RetentionDays, c.RetentionInterval = 1, time.Second })
	old := time.Now().Add(-72 * time.Hour)
	var batch []qp.Exchange
	for i := range 1200 { // more than one deletion batch
		// A few KB of body each, of their own, so that the file grows.
		body := fmt.Appendf(nil, `{"messages":[{"role":"user","content":"%x"}]}`, sha256.Sum256(fmt.Appendf(nil, "%d", i)))
		for len(body) < 4096 {
			body = fmt.Appendf(nil, `{"messages":[{"role":"user","content":"%x"}],"more":%s}`, sha256.Sum256(body), body)
		}
		batch = append(batch, qp.Exchange{
			Request: qp.Request{RequestID: fmt.Sprintf("old-%d", i), Timestamp: old, Method: "POST", Path: "/v1/chat/completions", Model: "m",
				OpenAIRequest: body},
			Response: qp.Response{ResponseID: fmt.Sprintf("old-r-%d", i), Timestamp: old, Status: qp.StatusSuccess, HTTPStatus: 200},
		})
	}
	if err := e.app.Store().WriteExchanges(ctxT(t), batch); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("recent"))); err != nil {
		t.Fatal(err)
	}
	// The sweep runs every second: wait for its effect, bounded.
	deadline := time.Now().Add(10 * time.Second)
	for e.count(`SELECT COUNT(*) FROM requests WHERE request_id LIKE 'old-%'`) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("retention did not delete the old calls")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := e.count(`SELECT COUNT(*) FROM requests`); n != 1 {
		t.Fatalf("%d calls left, want the recent one", n)
	}
	if backend == "sqlite" {
		var autoVacuum int
		if err := e.db().QueryRow(`PRAGMA auto_vacuum`).Scan(&autoVacuum); err != nil || autoVacuum != 2 {
			t.Fatalf("auto_vacuum = %d (%v), want 2 (incremental)", autoVacuum, err)
		}
		// The space is back on the file system while the server runs: the
		// file and its WAL hold what is left, not the ~5 MB deleted (they
		// kept it until a checkpoint SQLite makes at 40 MB of WAL).
		deadline := time.Now().Add(10 * time.Second)
		for fileSize(e.cfg.DatabasePath)+fileSize(e.cfg.DatabasePath+"-wal") > 1<<20 {
			if time.Now().After(deadline) {
				t.Fatalf("after retention the file is %d bytes and its WAL %d", fileSize(e.cfg.DatabasePath), fileSize(e.cfg.DatabasePath+"-wal"))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// fileSize is a file's size in bytes, 0 when it does not exist.
func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}

// A call's duration keeps sub-millisecond precision (a simulator call used to
// read 0, shorter than its first token), the duration sort stays exact, and
// a first turn's new-chat attempt is not counted as a completion retry.
func TestDurationsAndAttemptsReadTrue(t *testing.T) {
	storetest.EachBackend(t, testDurationsAndAttemptsReadTrue)
}

func testDurationsAndAttemptsReadTrue(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("how long"))); err != nil {
		t.Fatal(err)
	}
	e.sync()
	items := list(t, e, "/v1/requests")
	sum := items[0]["response_summary"].(map[string]any)
	dur, _ := sum["duration_ms"].(float64)
	ttft, _ := sum["ttft_ms"].(float64)
	if dur <= 0 || dur < ttft || num(sum["upstream_attempts"]) != 1 || num(sum["new_chat_attempts"]) != 1 {
		t.Fatalf("summary %v: want a duration above 0 and not below ttft %v, 1 completion and 1 new-chat attempt", sum, ttft)
	}

	base := time.Now().Add(-time.Minute)
	var batch []qp.Exchange
	for i, us := range []int{1500, 250, 1499, 999999} {
		ts := base.Add(time.Duration(i) * time.Second)
		batch = append(batch, qp.Exchange{
			Request: qp.Request{RequestID: fmt.Sprintf("dur-%d", i), Timestamp: ts, Method: "POST", Path: "/v1/chat/completions", Model: "dur-model"},
			Response: qp.Response{ResponseID: fmt.Sprintf("dur-resp-%d", i), Timestamp: ts, Status: qp.StatusSuccess, HTTPStatus: 200,
				Duration: time.Duration(us) * time.Microsecond, UpstreamAttempts: 1},
		})
	}
	if err := e.app.Store().WriteExchanges(ctxT(t), batch); err != nil {
		t.Fatal(err)
	}
	var got []float64
	for _, r := range list(t, e, "/v1/responses?model=dur-model&sort=duration_ms&order=asc&limit=2") {
		got = append(got, r["duration_ms"].(float64))
	}
	status, page := getJSON(t, e, http.MethodGet, "/v1/responses?model=dur-model&sort=duration_ms&order=asc&limit=2")
	next, _ := page["next_cursor"].(string)
	if status != 200 || next == "" {
		t.Fatalf("page 1: %d %v", status, page)
	}
	for _, r := range list(t, e, "/v1/responses?model=dur-model&sort=duration_ms&order=asc&limit=2&after="+next) {
		got = append(got, r["duration_ms"].(float64))
	}
	if fmt.Sprint(got) != "[0.25 1.499 1.5 999.999]" {
		t.Fatalf("durations by the duration sort, paged by cursor: %v", got)
	}
	_, st := getJSON(t, e, http.MethodGet, "/v1/stats?model=dur-model")
	if avg := st["statistics"].(map[string]any)["avg_duration_ms"].(float64); avg < 250.8 || avg > 250.9 {
		t.Fatalf("average duration %v, want (1.5+0.25+1.499+999.999)/4 = 250.812", avg)
	}
}

// GET /v1/sessions/{id}/transcript reads a conversation as it was: each call's
// new messages and its answer, reasoning apart from the text, tool calls and
// results as such, the figures of each turn; paged by cursor.
func TestSessionTranscript(t *testing.T) {
	e := start(t, nil)
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`
	post := func(body string) (map[string]any, string) {
		resp, err := http.Post(e.app.URL()+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%d %v %v", resp.StatusCode, err, v)
		}
		return v, resp.Header.Get("X-Session-Id")
	}
	first, session := post(`{"model":"qwen3-max","reasoning_effort":"high",` + tools + `,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"use get_weather with {\"city\": \"Oslo\"}"}]}`)
	msg := first["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
	callID := msg["tool_calls"].([]any)[0].(map[string]any)["id"].(string)
	assistant, _ := json.Marshal(msg)
	post(`{"model":"qwen3-max",` + tools + `,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"use get_weather with {\"city\": \"Oslo\"}"},` +
		string(assistant) + `,{"role":"tool","tool_call_id":"` + callID + `","content":"12 degrees, rain"}]}`)
	e.sync()

	status, page := getJSON(t, e, http.MethodGet, "/v1/sessions/"+session+"/transcript?limit=1")
	if status != 200 || page["has_more"] != true {
		t.Fatalf("page 1: %d %v", status, page)
	}
	turn1 := page["data"].([]any)[0].(map[string]any)
	in1 := turn1["input"].([]any)
	out1 := turn1["output"].(map[string]any)
	tc := out1["tool_calls"].([]any)[0].(map[string]any)
	if len(in1) != 2 || in1[0].(map[string]any)["role"] != "system" || in1[1].(map[string]any)["role"] != "user" ||
		out1["reasoning"] == "" || out1["reasoning"] == nil || tc["name"] != "get_weather" || tc["arguments"] != `{"city":"Oslo"}` ||
		num(turn1["total_tokens"]) == 0 || turn1["duration_ms"].(float64) <= 0 || turn1["ttft_ms"] == nil || turn1["status"] != "success" {
		t.Fatalf("turn 1: %v", turn1)
	}
	status, page = getJSON(t, e, http.MethodGet, "/v1/sessions/"+session+"/transcript?limit=1&after="+page["next_cursor"].(string))
	turn2 := page["data"].([]any)[0].(map[string]any)
	in2 := turn2["input"].([]any)
	if status != 200 || page["has_more"] != false || len(in2) != 1 || in2[0].(map[string]any)["role"] != "tool" ||
		in2[0].(map[string]any)["tool_call_id"] != callID || in2[0].(map[string]any)["content"] != "12 degrees, rain" ||
		!strings.Contains(turn2["output"].(map[string]any)["content"].(string), "12 degrees") {
		t.Fatalf("turn 2: %d %v", status, page)
	}
	if status, v := getJSON(t, e, http.MethodGet, "/v1/sessions/"+session+"/transcript?sort=timestamp"); status != 400 {
		t.Errorf("transcript?sort: %d %v", status, v)
	}
}

// A Responses API conversation that resends its history (Codex, store:false)
// reads in its transcript as a chat's does: an answer that was only a
// function call is the last answer its next request resent, so that turn's
// input is the call's output alone, also when the output is a list of text
// parts. The function_call item was not taken for an answer (it has no
// role), so the turn repeated the user's message and the instructions, and
// an output given as parts was dropped.
func TestSessionTranscriptOfAResponsesHistory(t *testing.T) {
	e := start(t, nil)
	tools := `"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]`
	user := `{"role":"user","content":[{"type":"input_text","text":"the weather in Oslo?"}]}`
	resp := postJSON(t, e, "/v1/responses", `{"model":"gpt-5","store":false,"instructions":"be brief",`+tools+
		`,"tool_choice":{"type":"function","name":"get_weather"},"input":[`+user+`]}`, nil)
	var first struct {
		Output []struct {
			Type      string `json:"type"`
			CallID    string `json:"call_id"`
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&first); err != nil || resp.StatusCode != http.StatusOK || len(first.Output) != 1 ||
		first.Output[0].Type != "function_call" {
		t.Fatalf("first answer: %d %v %+v", resp.StatusCode, err, first)
	}
	session := resp.Header.Get("X-Session-Id")
	call, _ := json.Marshal(map[string]string{"type": "function_call", "call_id": first.Output[0].CallID, "name": first.Output[0].Name,
		"arguments": first.Output[0].Arguments})
	resp = postJSON(t, e, "/v1/responses", `{"model":"gpt-5","store":false,"instructions":"be brief",`+tools+`,"input":[`+user+`,`+string(call)+
		`,{"type":"function_call_output","call_id":"`+first.Output[0].CallID+`","output":[{"type":"input_text","text":"12 degrees, rain"}]}]}`, nil)
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || resp.Header.Get("X-Session-Id") != session {
		t.Fatalf("second answer: %d %s (session %s, want %s)", resp.StatusCode, b, resp.Header.Get("X-Session-Id"), session)
	}
	e.sync()

	status, page := getJSON(t, e, http.MethodGet, "/v1/sessions/"+session+"/transcript")
	turns, _ := page["data"].([]any)
	if status != 200 || len(turns) != 2 {
		t.Fatalf("transcript: %d %v", status, page)
	}
	in2, _ := json.Marshal(turns[1].(map[string]any)["input"])
	want := `[{"content":"12 degrees, rain","role":"tool","tool_call_id":"` + first.Output[0].CallID + `"}]`
	if string(in2) != want {
		t.Fatalf("turn 2's input %s, want %s", in2, want)
	}
}
