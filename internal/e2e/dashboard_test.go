package e2e

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// The dashboard's files need no key (they hold no data), / leads to them, and
// /health says which key the history needs, never a key.
func TestDashboardIsServedAndSaysWhichKeyItNeeds(t *testing.T) {
	for _, tc := range []struct {
		users, admins []string
		want          string
	}{{nil, nil, "none"}, {[]string{"u-key"}, nil, "any"}, {[]string{"u-key"}, []string{"a-key"}, "admin"}} {
		e := start(t, func(c *config.Config) { c.APIKeys, c.AdminAPIKeys = tc.users, tc.admins })
		status, v := getJSON(t, e, http.MethodGet, "/health")
		if status != 200 || v["api_keys"] != tc.want {
			t.Errorf("keys %v/%v: /health says %v, want %q", tc.users, tc.admins, v["api_keys"], tc.want)
		}
		if resp := call(t, e, "GET", "/ui/", "", ""); resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("/ui/ without a key: %d", resp.StatusCode)
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Get(e.app.URL() + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ui/" {
			t.Errorf("/: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if len(tc.admins) > 0 {
			for key, want := range map[string]int{"": 401, "u-key": 403, "a-key": 200} {
				if resp := call(t, e, "GET", "/v1/requests/active", key, ""); resp.StatusCode != want {
					t.Errorf("/v1/requests/active with %q: %d, want %d", key, resp.StatusCode, want)
				}
			}
		}
	}
}

// GET /v1/requests/active lists the calls this instance is serving, a stream
// marked as streaming while its answer flows, with its time to Qwen's first
// token once that came, and forgets each call once it is recorded.
func TestActiveCallsShowStreamsInProgress(t *testing.T) {
	e := startWith(t, qwensim.Options{EventDelay: 20 * time.Millisecond}, nil)
	body := `{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"` + strings.Repeat("word ", 80) + `"}]}`
	req, _ := http.NewRequestWithContext(ctxT(t), http.MethodPost, e.app.URL()+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewReader(resp.Body)
	if _, err := lines.ReadString('\n'); err != nil { // the role chunk: the stream has begun
		t.Fatal(err)
	}
	status, v := getJSON(t, e, http.MethodGet, "/v1/requests/active")
	data, _ := v["data"].([]any)
	if status != 200 || len(data) != 1 {
		t.Fatalf("active: %d %v", status, v)
	}
	c := data[0].(map[string]any)
	if c["request_id"] != resp.Header.Get("X-Request-Id") || c["session_id"] != resp.Header.Get("X-Session-Id") || c["model"] != "qwen3-coder-plus" ||
		c["stream"] != true || c["streaming"] != true || c["path"] != "/v1/chat/completions" || c["elapsed_ms"].(float64) < 0 ||
		c["ttft_ms"] == nil || c["ttft_ms"].(float64) < 0 || c["ttft_ms"].(float64) > c["elapsed_ms"].(float64) {
		t.Fatalf("active call %v", c)
	}
	io.Copy(io.Discard, resp.Body)
	e.sync()
	if _, v := getJSON(t, e, http.MethodGet, "/v1/requests/active"); len(v["data"].([]any)) != 0 {
		t.Fatalf("a finished call is still active: %v", v)
	}
	if status, v := getJSON(t, e, http.MethodGet, "/v1/requests/active?x=1"); status != 400 {
		t.Fatalf("unknown parameter: %d %v", status, v)
	}
	if e.lastRow().RequestID != resp.Header.Get("X-Request-Id") {
		t.Fatalf("the call was not recorded once it ended")
	}
}

// On PostgreSQL the live view's poll (calls ended since a moment ago, oldest
// first) shows the calls every instance served, not only its own.
func TestLivePollSeesEveryInstance(t *testing.T) {
	a := startOn(t, "postgres", nil)
	b := startOn(t, "postgres", func(c *config.Config) { c.DatabaseURL = a.dbURL })
	since := time.Now().Add(-time.Second).UnixMilli()
	for _, e := range []*env{a, b} {
		resp := call(t, e, "POST", "/v1/chat/completions", "", `{"messages":[{"role":"user","content":"which instance"}]}`)
		if resp.StatusCode != 200 {
			t.Fatalf("chat: %d", resp.StatusCode)
		}
		e.sync()
	}
	for _, e := range []*env{a, b} {
		items := list(t, e, "/v1/responses?order=asc&count=false&start="+strconv.FormatInt(since, 10))
		if len(items) != 2 {
			t.Fatalf("an instance's live poll shows %d of the 2 calls: %v", len(items), items)
		}
	}
}
