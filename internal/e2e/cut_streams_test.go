package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// cutAPI is one client API's streamed call and how its stream ends.
type cutAPI struct {
	name, path, body string
	failed           string   // what must close a failed stream
	success          []string // what a failed stream must not hold
}

var cutAPIs = []cutAPI{
	// Chat Completions: one error event, then [DONE] (PRODUCT.md §2,
	// README "Streaming"); the official SDKs raise at the error event and
	// never read the [DONE]. What must not come is a finish_reason.
	{"chat", "/v1/chat/completions", `{"model":"qwen3-max","stream":true,"messages":[{"role":"user","content":"one two three four five six"}]}`,
		"data: [DONE]", []string{`"finish_reason":"`}},
	{"completions", "/v1/completions", `{"model":"qwen3-max","stream":true,"prompt":"one two three four five six"}`,
		"data: [DONE]", []string{`"finish_reason":"`}},
	{"messages", "/v1/messages", `{"model":"claude-x","max_tokens":256,"stream":true,"messages":[{"role":"user","content":"one two three four five six"}]}`,
		"event: error", []string{"event: message_stop", `"stop_reason":"`}},
	{"responses", "/v1/responses", `{"model":"gpt-5","stream":true,"input":"one two three four five six"}`,
		"event: response.failed", []string{"event: response.completed", "event: response.incomplete"}},
}

// A stream broken off after it opened — Qwen's connection cut, an error
// event of Qwen's, Qwen silent past QWEN_IDLE_TIMEOUT, the server stopped —
// ends in every client API with its error, never with what tells a client
// the answer completed; and the record says how the call ended.
func TestACutStreamEndsInItsErrorInEveryAPI(t *testing.T) {
	cuts := []struct {
		name      string
		fault     qwensim.Fault
		shutdown  bool
		errorType string
		edit      func(*config.Config)
	}{
		{"Qwen's connection cut", qwensim.Fault{CutAfter: 3}, false, "upstream_stream_cut", nil},
		{"Qwen's error event", qwensim.Fault{ErrorAfter: 3}, false, "rate_limited", nil},
		{"Qwen silent", qwensim.Fault{StallAfter: 2}, false, "upstream_timeout", nil},
		{"past QWEN_MAX_DURATION", qwensim.Fault{StallAfter: 2}, false, "upstream_timeout",
			func(c *config.Config) { c.QwenIdleTimeout, c.QwenMaxDuration = time.Minute, time.Second }},
		{"past QWEN_MAX_ANSWER_BYTES", qwensim.Fault{}, false, "upstream_error",
			func(c *config.Config) { c.QwenMaxAnswerBytes = 1200 }},
		{"the server stopped", qwensim.Fault{StallAfter: 2}, true, "shutting_down",
			func(c *config.Config) { c.QwenIdleTimeout = time.Minute }}, // the stop comes first
	}
	for _, api := range cutAPIs {
		for _, cut := range cuts {
			t.Run(api.name+", "+cut.name, func(t *testing.T) {
				e := start(t, func(c *config.Config) {
					c.QwenTimeout, c.QwenIdleTimeout, c.MaxRetries = time.Minute, time.Second, 0
					if cut.edit != nil {
						cut.edit(c)
					}
				})
				e.sim.Inject(cut.fault)
				body := cutStream(t, e, api, cut.shutdown)
				events := strings.Split(strings.TrimSpace(body), "\n\n")
				last := events[len(events)-1]
				if !strings.HasPrefix(last, api.failed) {
					t.Errorf("the stream ends with %q, want %q", last, api.failed)
				}
				if api.failed == "data: [DONE]" && (len(events) < 2 || !strings.Contains(events[len(events)-2], `{"error":`)) {
					t.Errorf("no error event before [DONE]: %q", body)
				}
				for _, s := range api.success {
					if strings.Contains(body, s) {
						t.Errorf("the failed stream holds %q:\n%s", s, body)
					}
				}
				if cut.shutdown {
					e.restart() // the record, as the next start reads it
				}
				if r := e.lastRow(); r.Status != "error" || r.ErrorType != cut.errorType {
					t.Errorf("recorded %s %s, want error %s", r.Status, r.ErrorType, cut.errorType)
				}
			})
		}
	}
}

// cutStream posts api's streamed call and reads its stream to the end;
// with shutdown, the server is stopped (a short grace) once the stream has
// opened and Qwen went silent.
func cutStream(t *testing.T, e *env, api cutAPI, shutdown bool) string {
	t.Helper()
	resp := postJSON(t, e, api.path, api.body, map[string]string{"anthropic-version": "2023-06-01"})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var b strings.Builder
	r := bufio.NewReader(resp.Body)
	stopped := !shutdown
	down := make(chan struct{})
	for {
		line, err := r.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			break
		}
		// The second piece of text is the last before the stall.
		if !stopped && strings.Count(b.String(), "said:") > 0 {
			stopped = true
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			go func() { defer close(down); defer cancel(); e.app.Shutdown(ctx) }()
		}
	}
	if shutdown {
		<-down
		e.app = nil
	}
	return b.String()
}

// Qwen's answer cut off or silent after a Chat Completions or legacy
// completions stream opened ends in an error event typed server_error, its
// code saying which failure: the type OpenCode retries (the AI SDK reads
// the event's text), where upstream_error ended its run ("Error: the
// answer from Qwen broke off"); a 502 before the stream it retried.
// A failure not to be retried (QWEN_MAX_DURATION) keeps upstream_error.
func TestARetryableFailureMidStreamIsTypedForClientsToRetry(t *testing.T) {
	cuts := []struct {
		name      string
		fault     qwensim.Fault
		edit      func(*config.Config)
		typ, code string
	}{
		{"Qwen's connection cut", qwensim.Fault{CutAfter: 3}, nil, "server_error", "upstream_stream_cut"},
		{"Qwen silent", qwensim.Fault{StallAfter: 2}, nil, "server_error", "upstream_timeout"},
		{"past QWEN_MAX_DURATION", qwensim.Fault{StallAfter: 2},
			func(c *config.Config) { c.QwenIdleTimeout, c.QwenMaxDuration = time.Minute, time.Second }, "upstream_error", "upstream_max_duration"},
	}
	for _, api := range cutAPIs[:2] { // chat, completions
		for _, cut := range cuts {
			t.Run(api.name+", "+cut.name, func(t *testing.T) {
				e := start(t, func(c *config.Config) {
					c.QwenTimeout, c.QwenIdleTimeout, c.MaxRetries = time.Minute, time.Second, 0
					if cut.edit != nil {
						cut.edit(c)
					}
				})
				e.sim.Inject(cut.fault)
				events := strings.Split(strings.TrimSpace(cutStream(t, e, api, false)), "\n\n")
				if len(events) < 2 {
					t.Fatalf("stream %q", events)
				}
				var ev struct {
					Error struct{ Type, Code string } `json:"error"`
				}
				last := strings.TrimPrefix(events[len(events)-2], "data: ")
				if err := json.Unmarshal([]byte(last), &ev); err != nil {
					t.Fatalf("the event before [DONE] is no error event (%v): %q", err, last)
				}
				if ev.Error.Type != cut.typ || ev.Error.Code != cut.code {
					t.Errorf("error event typed %q, code %q; want %q, %q", ev.Error.Type, ev.Error.Code, cut.typ, cut.code)
				}
			})
		}
	}
}
