package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/storetest"
)

// The statistics count calls by the model that answered; the dashboard's
// row of a model links to the calls list filtered by response_model. The
// list's model is the one asked for, which a variant suffix or a default
// mapping makes another: model=qwq-32b listed none of the calls the
// statistics counted for qwq-32b, and model=qwen3-max a third of its.
func TestResponseModelListsTheCallsStatisticsCount(t *testing.T) {
	storetest.EachBackend(t, testResponseModelListsTheCallsStatisticsCount)
}

func testResponseModelListsTheCallsStatisticsCount(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	began := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	asked := map[string]int{qwensim.TextOnlyModel + "-thinking-search": 2, "gpt-4o": 3, "qwen3-max": 1}
	for m, n := range asked {
		for i := range n {
			body := fmt.Sprintf(`{"model":%q,"stream":%v,"messages":[{"role":"user","content":"call %d of %s"}]}`, m, i%2 == 0, i, m)
			if resp := postJSON(t, e, "/v1/chat/completions", body, nil); resp.StatusCode != 200 {
				t.Fatalf("%s: %d", m, resp.StatusCode)
			}
		}
	}
	// One call that fails, so that status filters have something to tell apart.
	e.sim.Inject(qwensim.Fault{Status: 401})
	postJSON(t, e, "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"fails"}]}`, nil)
	e.sync()

	_, st := getJSON(t, e, http.MethodGet, "/v1/stats")
	counted := map[string]int{}
	for _, g := range st["by_model"].([]any) {
		g := g.(map[string]any)
		counted[g["model"].(string)] = num(g["total_responses"])
	}
	want := map[string]int{qwensim.TextOnlyModel: 2, "qwen3-max": 5}
	if len(counted) != len(want) || counted[qwensim.TextOnlyModel] != 2 || counted["qwen3-max"] != 5 {
		t.Fatalf("stats by model: %v, want %v", counted, want)
	}
	for m, n := range counted {
		q := "response_model=" + url.QueryEscape(m)
		// Totals from the counts kept with every write, from the rows or
		// the rollups (a time range), and both lists' pages agree with the
		// statistics' row.
		for _, path := range []string{"/v1/requests?" + q, "/v1/requests?" + q + "&start=" + began, "/v1/requests?" + q + "&sort=id",
			"/v1/responses?" + q, "/v1/responses?" + q + "&start=" + began, "/v1/responses?" + q + "&sort=duration_ms"} {
			if status, total, rows := listed(t, e, path); status != 200 || total != n || rows != n {
				t.Fatalf("%s: %d, total %d, %d rows; the statistics count %d", path, status, total, rows, n)
			}
		}
		for _, item := range list(t, e, "/v1/requests?"+q+"&limit=1000") {
			if got := item["response_summary"].(map[string]any)["model"]; got != m {
				t.Fatalf("%s lists a call answered by %v: %v", q, got, item)
			}
		}
		if lines := exportLines(t, e, "/v1/export?bodies=false&"+q); lines != n {
			t.Fatalf("export of %s: %d calls, want %d", q, lines, n)
		}
	}
	// Combined with the other filters, from the counts and from the rows;
	// the request list's model stays the name asked for.
	for path, n := range map[string]int{
		"/v1/requests?model=" + qwensim.TextOnlyModel + "-thinking-search":                          2,
		"/v1/requests?model=" + qwensim.TextOnlyModel:                                               0,
		"/v1/requests?response_model=qwen3-max&model=gpt-4o":                                        4,
		"/v1/requests?response_model=qwen3-max&model=gpt-4o&start=" + began:                         4,
		"/v1/requests?response_model=qwen3-max&model=gpt-4o&sort=id":                                4,
		"/v1/requests?response_model=qwen3-max&status=error":                                        1,
		"/v1/requests?response_model=qwen3-max&status=success&stream=true":                          3,
		"/v1/requests?response_model=" + qwensim.TextOnlyModel + "&model=gpt-4o":                    0,
		"/v1/responses?response_model=qwen3-max&model=qwen3-max&status=success":                     4,
		"/v1/responses?response_model=qwen3-max&model=" + qwensim.TextOnlyModel:                     0,
		"/v1/responses?response_model=qwen3-max&model=" + qwensim.TextOnlyModel + "&start=" + began: 0,
	} {
		if status, total, rows := listed(t, e, path); status != 200 || total != n || rows != n {
			t.Fatalf("%s: %d, total %d, %d rows, want %d", path, status, total, rows, n)
		}
	}
	// A conversation's model is the Qwen model its chat is on, as the
	// statistics name it, not the name asked for (the README says so).
	for path, n := range map[string]int{
		"/v1/sessions?model=" + qwensim.TextOnlyModel:                      2,
		"/v1/sessions?model=" + qwensim.TextOnlyModel + "-thinking-search": 0,
		"/v1/sessions?model=gpt-4o":                                        0,
	} {
		if status, total, rows := listed(t, e, path); status != 200 || total != n || rows != n {
			t.Fatalf("%s: %d, total %d, %d rows, want %d", path, status, total, rows, n)
		}
	}
	// Given empty it is refused, as every filter is.
	for _, path := range []string{"/v1/requests?response_model=", "/v1/responses?response_model=", "/v1/export?response_model="} {
		resp := send(t, e, http.MethodGet, path, "", "", nil)
		if env := decodeEnvelope(t, resp); resp.StatusCode != 400 || env.Error.Code == nil || *env.Error.Code != "invalid_filter" ||
			env.Error.Param == nil || *env.Error.Param != "response_model" {
			t.Fatalf("%s: %d %+v", path, resp.StatusCode, env.Error)
		}
	}
}

// listed reads the list at path (up to 1,000 rows): its status, total and
// number of rows.
func listed(t *testing.T, e *env, path string) (status, total, rows int) {
	t.Helper()
	status, v := getJSON(t, e, http.MethodGet, path+"&limit=1000")
	data, _ := v["data"].([]any)
	return status, num(v["total"]), len(data)
}

// exportLines is how many calls the JSONL export at path holds.
func exportLines(t *testing.T, e *env, path string) int {
	t.Helper()
	n := 0
	sc := bufio.NewScanner(strings.NewReader(fetch(t, e, path)))
	for sc.Scan() {
		n++
	}
	return n
}
