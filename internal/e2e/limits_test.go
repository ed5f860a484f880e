package e2e

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/storetest"
)

// postChat sends a raw chat call and returns its status and error code.
func postChat(t *testing.T, e *env, body string) (int, string) {
	t.Helper()
	resp := postJSON(t, e, "/v1/chat/completions", body, nil)
	raw, _ := io.ReadAll(resp.Body)
	var env struct{ Error struct{ Code string } }
	json.Unmarshal(raw, &env)
	return resp.StatusCode, env.Error.Code
}

// Issue 13, item 9: an upstream without limits — a huge event, a line that
// never ends, an answer that never finishes — meets the proxy's bounds: a
// clear error, recorded, and bodies stored within RECORD_MAX_BODY_BYTES.
func TestMisbehavingUpstreamIsBounded(t *testing.T) {
	// The size bounds meet a generous time bound; the endless answer a short
	// one (a slow machine takes a while to send 8 MB).
	e := start(t, func(c *config.Config) {
		c.QwenMaxAnswerBytes, c.QwenMaxDuration, c.RecordMaxBodyBytes = 1<<20, time.Minute, 4096
	})
	short := start(t, func(c *config.Config) {
		c.QwenMaxAnswerBytes, c.QwenMaxDuration, c.RecordMaxBodyBytes = 1<<20, time.Second, 4096
	})
	chat := `{"model":"qwen3-max","messages":[{"role":"user","content":"one two three four"}]}`
	cases := []struct {
		name   string
		e      *env
		fault  qwensim.Fault
		status int
		code   string
	}{
		{"a single event over the event bound", e, qwensim.Fault{BigEvent: 8 << 20}, 502, "upstream_answer_too_large"},
		{"an answer over QWEN_MAX_ANSWER_BYTES", e, qwensim.Fault{BigEvent: 2 << 20}, 502, "upstream_answer_too_large"},
		{"200 MB without a newline", e, qwensim.Fault{Unterminated: 200 << 20}, 502, "upstream_answer_too_large"},
		{"an endless answer", short, qwensim.Fault{Endless: true}, 504, "upstream_max_duration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.e
			e.sim.Inject(tc.fault)
			if status, code := postChat(t, e, chat); status != tc.status || code != tc.code {
				t.Fatalf("%d %s, want %d %s", status, code, tc.status, tc.code)
			}
			r := e.lastRow()
			if r.Status != "error" || r.HTTPStatus != tc.status || len(r.QwenResponse.String) > 4096 || len(r.OpenAIResponse.String) > 4096 {
				t.Fatalf("recorded %s %d, bodies of %d and %d bytes", r.Status, r.HTTPStatus, len(r.QwenResponse.String), len(r.OpenAIResponse.String))
			}
		})
	}

	t.Run("a recorded body over RECORD_MAX_BODY_BYTES is truncated with a marker", func(t *testing.T) {
		long := strings.Repeat("many words ", 1000)
		if status, _ := postChat(t, e, `{"model":"qwen3-max","messages":[{"role":"user","content":"`+long+`"}]}`); status != 200 {
			t.Fatalf("status %d", status)
		}
		r := e.lastRow()
		var stored struct {
			Truncated     bool   `json:"_truncated"`
			OriginalBytes int    `json:"_original_bytes"`
			Head          string `json:"_head"`
		}
		if err := json.Unmarshal([]byte(r.OpenAIRequest.String), &stored); err != nil || !stored.Truncated ||
			stored.OriginalBytes < len(long) || !strings.HasPrefix(stored.Head, `{"model":"qwen3-max"`) {
			t.Fatalf("stored request body %.200s (%v)", r.OpenAIRequest.String, err)
		}
	})
}

// A call's User-Agent was recorded whole: a client's header of up to the
// 1 MiB the headers take made each of its calls' rows a megabyte, and so
// every list of the history (the API's, the CLI's, the dashboard's) that
// shows the call. It is recorded cut to its first 512 bytes, as the names
// of ignored fields are bounded in count — and, as the client's bodies
// are, without the call's proxy key, which it kept as sent, and which a
// cut must not leave half of.
func TestAUserAgentIsRecordedWithinItsBoundWithoutTheKey(t *testing.T) {
	storetest.EachBackend(t, testAUserAgentIsRecordedWithinItsBoundWithoutTheKey)
}

func testAUserAgentIsRecordedWithinItsBoundWithoutTheKey(t *testing.T, backend string) {
	const key = "sk-proxy-key-in-the-user-agent-4242"
	e := startOn(t, backend, func(c *config.Config) { c.APIKeys = []string{key} })
	for _, agent := range []string{
		"agent/1.0 " + strings.Repeat("x", 64<<10),
		"agent/2.0 (key " + key + ")",
		"agent/3.0 " + strings.Repeat("y", 500) + key,
	} {
		resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`,
			map[string]string{"User-Agent": agent, "Authorization": "Bearer " + key})
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	e.sync()
	if n := e.count(`SELECT COUNT(*) FROM requests WHERE length(user_agent) > 520`); n != 0 {
		t.Fatalf("a User-Agent of %d bytes recorded", e.count(`SELECT MAX(length(user_agent)) FROM requests`))
	}
	if n := e.count(`SELECT COUNT(*) FROM requests WHERE user_agent LIKE '%sk-proxy%'`); n != 0 {
		t.Fatalf("the proxy key, or part of it, recorded in %d User-Agents", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM requests WHERE user_agent = 'agent/2.0 (key [REDACTED])'`); n != 1 {
		t.Fatal("the User-Agent around the key not recorded")
	}
}
