package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/storetest"
)

// An operator asks why calls failed: the history lists and exports the
// calls that ended with one error type (error_type=), the statistics count
// the failed calls by error type (by_error_type), and /metrics counts them
// as they end (qwenproxy_call_errors_total, every type listed from the
// start) — on both backends.
func TestFailedCallsAreFoundAndCountedByErrorType(t *testing.T) {
	storetest.EachBackend(t, testFailedCallsAreFoundAndCountedByErrorType)
}

func testFailedCallsAreFoundAndCountedByErrorType(t *testing.T, backend string) {
	// No rest after a failure: the lone account takes the next call.
	e := startOn(t, backend, func(c *config.Config) { c.FailureCooldown = 0; c.MaxRetries = 0 })
	if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("fine"))); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		e.sim.Inject(qwensim.Fault{Status: 500, Times: 1})
		if _, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("fail me"))); err == nil {
			t.Fatal("a call Qwen failed with a 500 succeeded")
		}
	}
	e.sync()

	failed := list(t, e, "/v1/requests?error_type=upstream_error")
	if len(failed) != 2 {
		t.Fatalf("error_type=upstream_error lists %d calls, want 2: %v", len(failed), failed)
	}
	for _, r := range failed {
		if s := r["response_summary"].(map[string]any); s["error_type"] != "upstream_error" {
			t.Errorf("error_type=upstream_error lists %v", s)
		}
	}
	for path, want := range map[string]int{
		"/v1/requests?error_type=upstream_error&status=error": 2,
		"/v1/responses?error_type=upstream_error":             2,
		"/v1/responses?error_type=upstream_error&stream=true": 0,
		"/v1/requests?error_type=rate_limited":                0,
	} {
		if status, v := getJSON(t, e, http.MethodGet, path); status != 200 || num(v["total"]) != want || len(v["data"].([]any)) != want {
			t.Errorf("%s: %d, total %v, want %d", path, status, v["total"], want)
		}
	}
	csv := strings.Split(strings.TrimSpace(fetch(t, e, "/v1/export?format=csv&error_type=upstream_error")), "\n")
	if len(csv) != 3 || !strings.Contains(csv[1], ",upstream_error,") || !strings.Contains(csv[2], ",upstream_error,") {
		t.Errorf("the export of error_type=upstream_error:\n%s", strings.Join(csv, "\n"))
	}

	status, st := getJSON(t, e, http.MethodGet, "/v1/stats")
	byType, _ := st["by_error_type"].([]any)
	if status != 200 || len(byType) != 1 {
		t.Fatalf("/v1/stats by_error_type: %d %v", status, st["by_error_type"])
	}
	if c := byType[0].(map[string]any); c["error_type"] != "upstream_error" || num(c["errors"]) != 2 {
		t.Errorf("/v1/stats by_error_type: %v", byType)
	}
	if num(st["statistics"].(map[string]any)["errors"]) != 2 {
		t.Errorf("/v1/stats errors: %v", st["statistics"])
	}
	session := failed[0]["session_id"].(string)
	if _, st := getJSON(t, e, http.MethodGet, "/v1/sessions/"+session+"/stats"); len(st["by_error_type"].([]any)) != 1 {
		t.Errorf("a failed call's session's statistics: by_error_type %v", st["by_error_type"])
	}

	text := scrape(t, e)
	if v := metric(text, "qwenproxy_call_errors_total", `error_type="upstream_error"`); v != 2 {
		t.Errorf("qwenproxy_call_errors_total{error_type=\"upstream_error\"} = %v, want 2", v)
	}
	if v := metric(text, "qwenproxy_call_errors_total", `error_type="rate_limited"`); v != 0 {
		t.Errorf("qwenproxy_call_errors_total{error_type=\"rate_limited\"} = %v, want 0 (listed before any)", v)
	}
}
