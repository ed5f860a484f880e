package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMessagesThreadContinueIsReplayedWhole: Anthropic's message threads
// (beta message-threads-2026-08-12), which the Anthropic SDK's toolRunner
// uses by default, send the whole conversation once (thread create), then
// only the new messages, without system and tools (thread continue). The
// proxy keeps no thread: a continue was answered as a new conversation —
// its tool result alone in a new Qwen chat, told no tools. Now a continue
// is Anthropic's 404 thread_not_found (details.error_code, which the SDKs
// read to replay), nothing recorded and Qwen not asked; the SDK's replay, a
// create with the whole conversation, continues the first call's chat.
func TestMessagesThreadContinueIsReplayedWhole(t *testing.T) {
	e := start(t, nil)
	const tools = `"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]`
	first := postJSON(t, e, "/v1/messages?beta=true", `{"model":"claude-x","max_tokens":64,"thread":{"type":"create"},`+tools+
		`,"messages":[{"role":"user","content":"use get_weather with {\"city\": \"Oslo\"}"}]}`, nil)
	var answer struct {
		ID      string            `json:"id"`
		Content []json.RawMessage `json:"content"`
	}
	b, _ := io.ReadAll(first.Body)
	if first.StatusCode != http.StatusOK || json.Unmarshal(b, &answer) != nil || len(answer.Content) != 2 {
		t.Fatalf("thread create: %d %s", first.StatusCode, b)
	}
	var call struct{ ID string }
	_ = json.Unmarshal(answer.Content[1], &call)
	result := `{"role":"user","content":[{"type":"tool_result","tool_use_id":"` + call.ID + `","content":"Rainy"}]}`

	upstream := len(e.sim.Calls())
	resp := postJSON(t, e, "/v1/messages?beta=true", `{"model":"claude-x","max_tokens":64,"thread":{"type":"continue","previous_message_id":"`+
		answer.ID+`"},"messages":[`+result+`]}`, nil)
	var env struct {
		Type  string `json:"type"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
			Details struct {
				ErrorCode string `json:"error_code"`
			} `json:"details"`
		} `json:"error"`
	}
	b, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNotFound || json.Unmarshal(b, &env) != nil || env.Type != "error" ||
		env.Error.Type != "not_found_error" || env.Error.Details.ErrorCode != "thread_not_found" {
		t.Fatalf("thread continue: %d %s", resp.StatusCode, b)
	}
	if n := len(e.sim.Calls()); n != upstream {
		t.Fatalf("a thread continue went upstream: %d calls, was %d", n, upstream)
	}
	if n := len(e.rows()); n != 1 {
		t.Fatalf("%d calls recorded, want the create only", n)
	}

	// The SDK's replay: the whole conversation, under a new thread.
	replay := postJSON(t, e, "/v1/messages?beta=true", `{"model":"claude-x","max_tokens":64,"thread":{"type":"create"},`+tools+
		`,"messages":[{"role":"user","content":"use get_weather with {\"city\": \"Oslo\"}"},{"role":"assistant","content":[`+
		string(answer.Content[0])+`,`+string(answer.Content[1])+`]},`+result+`]}`, nil)
	b, _ = io.ReadAll(replay.Body)
	if replay.StatusCode != http.StatusOK || !strings.Contains(string(b), `Thanks: get_weather said \"Rainy\".`) {
		t.Fatalf("replayed create: %d %s", replay.StatusCode, b)
	}
	if a, b := first.Header.Get("X-Session-Id"), replay.Header.Get("X-Session-Id"); a == "" || a != b {
		t.Fatalf("the replay is session %q, the create %q", b, a)
	}
}

// TestMessagesThreadIsChecked: a malformed thread is a 400 naming what is
// wrong, as Anthropic's is.
func TestMessagesThreadIsChecked(t *testing.T) {
	e := start(t, nil)
	for thread, want := range map[string]string{
		`5`:                   "thread:",
		`{"type":"resume"}`:   "thread.type:",
		`{}`:                  "thread.type:",
		`{"type":"continue"}`: "thread.previous_message_id:",
		`{"type":"continue","previous_message_id":7}`: "thread.previous_message_id:",
	} {
		resp := postJSON(t, e, "/v1/messages", `{"model":"claude-x","max_tokens":64,"thread":`+thread+`,"messages":[{"role":"user","content":"hi"}]}`, nil)
		if env := decodeAnthropicError(t, resp); resp.StatusCode != http.StatusBadRequest || env.Error.Type != "invalid_request_error" || !strings.HasPrefix(env.Error.Message, want) {
			t.Errorf("thread %s: %d %+v, want a 400 beginning %q", thread, resp.StatusCode, env, want)
		}
	}
	if n := len(e.rows()); n != 0 {
		t.Fatalf("refused calls were recorded: %d", n)
	}
}
