package e2e

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// metric returns the value of the first sample matching name and labels
// (a regexp over the label set), or -1.
func metric(text, name, labels string) float64 {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `(\{[^}]*\})? ([0-9.e+-]+)$`)
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		if regexp.MustCompile(labels).MatchString(m[1]) {
			v, _ := strconv.ParseFloat(m[2], 64)
			return v
		}
	}
	return -1
}

func TestMetricsFollowTheCalls(t *testing.T) {
	// With keys too: the key guard hands the router a copy of the request,
	// which once left every route labelled "other".
	for _, keys := range [][]string{nil, {"not-checked"}} {
		t.Run(map[bool]string{false: "without keys", true: "with keys"}[keys != nil], func(t *testing.T) {
			testMetricsFollowTheCalls(t, keys)
		})
	}
}

func testMetricsFollowTheCalls(t *testing.T, keys []string) {
	// No rest after a failure: the lone account lists the models at once.
	e := start(t, func(c *config.Config) { c.FailureCooldown = 0; c.APIKeys = keys })
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("count me"))); err != nil {
		t.Fatal(err)
	}
	stream := e.client.Chat.Completions.NewStreaming(ctxT(t), chatParams(openai.UserMessage("stream me")))
	for stream.Next() {
	}
	e.sim.Inject(qwensim.Fault{Status: 500, Times: 10})
	_, _ = e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("fail me")))
	if _, err := e.client.Models.List(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if keys != nil { // refused by the key guard, before the router: still its route's (it was "other")
		resp, err := http.Post(e.app.URL()+"/v1/chat/completions", "application/json", strings.NewReader(`{"messages":[{"role":"user","content":"x"}]}`))
		if err != nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("without a key: %v %v", resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	e.sync()

	text := scrape(t, e)
	checks := []struct {
		name, labels string
		min          float64
	}{
		{"qwenproxy_http_requests_total", `route="/v1/chat/completions".*status="200"`, 2},
		{"qwenproxy_http_requests_total", `route="/v1/chat/completions".*status="502"`, 1},
		{"qwenproxy_http_request_duration_seconds_count", `route="/v1/models"`, 1},
		{"qwenproxy_time_to_first_token_seconds_count", ``, 2},
		{"qwenproxy_upstream_calls_total", `endpoint="completions",outcome="ok"`, 2},
		{"qwenproxy_upstream_calls_total", `endpoint="completions",outcome="server"`, 4},
		{"qwenproxy_upstream_calls_total", `endpoint="chats_new",outcome="ok"`, 3},
		{"qwenproxy_upstream_calls_total", `endpoint="models",outcome="ok"`, 1},
		{"qwenproxy_tokens_total", `kind="prompt"`, 1},
		{"qwenproxy_tokens_total", `kind="completion"`, 1},
		{"qwenproxy_active_streams", ``, 0},
		{"qwenproxy_recorder_batch_size_count", ``, 1},
		{"qwenproxy_recorder_commit_seconds_count", ``, 1},
		{"qwenproxy_recorder_written_total", ``, 3},
		{"qwenproxy_recorder_queue_depth", ``, 0},
		{"qwenproxy_recorder_spool_bytes", ``, 0},
		{"qwenproxy_recorder_spooled_total", ``, 0},
		{"qwenproxy_recorder_replayed_total", ``, 0},
		{"qwenproxy_recorder_dropped_total", ``, 0},
		{"qwenproxy_sessions_in_memory", ``, 3},
		{"qwenproxy_session_turns_in_progress", ``, 0},
		{"go_goroutines", ``, 1},
	}
	for _, c := range checks {
		if v := metric(text, c.name, c.labels); v < c.min {
			t.Errorf("%s{%s} = %v, want ≥ %v", c.name, c.labels, v, c.min)
		}
	}
	if keys != nil && metric(text, "qwenproxy_http_requests_total", `route="/v1/chat/completions".*status="401"`) != 1 {
		t.Errorf("a call refused for want of a key is not counted under its route:\n%s", text)
	}
	if got := metric(text, "qwenproxy_active_streams", ``); got != 0 {
		t.Errorf("active streams %v after every stream ended", got)
	}
	if strings.Contains(text, "test-token") || strings.Contains(text, "secret-cookie") {
		t.Fatal("credentials in /metrics")
	}
}

// Issue 13, item 6: unauthenticated clients cannot grow /metrics: methods
// they invent all count as "other".
func TestMetricsLabelsAreBounded(t *testing.T) {
	e := start(t, nil)
	for i := range 50 {
		method := "X" + strings.Repeat(strconv.Itoa(i), 2000)
		req, _ := http.NewRequestWithContext(ctxT(t), method, e.app.URL()+"/v1/models", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		// Nor does the 405 echo the method whole.
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || n > 1024 {
			t.Fatalf("a %d-byte method: %d with a %d-byte body", len(method), resp.StatusCode, n)
		}
	}
	text := scrape(t, e)
	if strings.Contains(text, "X0000") || metric(text, "qwenproxy_http_requests_total", `method="other"`) != 50 {
		t.Fatalf("invented methods became labels (%d bytes of metrics)", len(text))
	}
}

// scrape returns /metrics.
func scrape(t *testing.T, e *env) string {
	t.Helper()
	resp, err := http.Get(e.app.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// The duration histogram tells a route's methods apart: GET /v1/responses
// (the history's list, which the dashboard's Live page polls every two
// seconds) and POST /v1/responses (a model call) shared one series, so the
// Responses API's latency was diluted by every history read.
func TestRequestDurationByMethod(t *testing.T) {
	e := start(t, nil)
	resp, err := http.Post(e.app.URL()+"/v1/responses", "application/json", strings.NewReader(`{"model":"qwen3-max","input":"time me"}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/responses: %d", resp.StatusCode)
	}
	for range 3 {
		resp, err = http.Get(e.app.URL() + "/v1/responses?limit=1")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	text := scrape(t, e)
	for method, want := range map[string]float64{"POST": 1, "GET": 3} {
		if got := metric(text, "qwenproxy_http_request_duration_seconds_count", `route="/v1/responses".*method="`+method+`"|method="`+method+`".*route="/v1/responses"`); got != want {
			t.Errorf("duration count of %s /v1/responses = %v, want %v", method, got, want)
		}
	}
}
