package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Claude Code's calls, as the transcript reads them. A tool call's
// arguments show as the model gave them, with their ">" (an Anthropic
// answer's input is a JSON object, which the encoder had written with
// \u003e: the transcript and `sessions show` printed "echo a \u003e b").
// And a run killed while its tool ran, then resumed (`claude --continue`),
// resends the cut turn with the next one: the interrupted call's result
// (is_error), Claude Code's placeholder answer "No response requested.",
// and the new prompt. The chat was told all three; the transcript showed
// the new prompt alone, and the call's result nowhere.
func TestTranscriptOfAnInterruptedClaudeCodeTurn(t *testing.T) {
	e := start(t, nil)
	tools := `[{"name":"Bash","description":"Runs a command.","input_schema":{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}}]`
	call := func(messages []any) (map[string]any, string) {
		m, _ := json.Marshal(messages)
		resp := postJSON(t, e, "/v1/messages", `{"model":"claude-opus-5-5","max_tokens":1024,"system":"You are Claude Code.","messages":`+string(m)+`,"tools":`+tools+`}`, nil)
		b, _ := io.ReadAll(resp.Body)
		var v map[string]any
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &v) != nil {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		return v, resp.Header.Get("X-Session-Id")
	}
	ask := map[string]any{"role": "user", "content": `use Bash with {"command": "sleep 40 > out.txt"}`}
	answer, session := call([]any{ask})
	content := answer["content"].([]any)
	id := ""
	for _, b := range content {
		if b := b.(map[string]any); b["type"] == "tool_use" {
			id = b["id"].(string)
		}
	}
	if id == "" {
		t.Fatalf("no call of Bash: %v", answer)
	}
	// Killed while the command ran; resumed.
	interrupted := map[string]any{"role": "user", "content": []any{map[string]any{"type": "tool_result", "tool_use_id": id, "is_error": true,
		"content": "[Tool call interrupted by user]"}}}
	placeholder := map[string]any{"role": "assistant", "content": []any{map[string]any{"type": "text", "text": "No response requested."}}}
	next := map[string]any{"role": "user", "content": "say done"}
	call([]any{ask, map[string]any{"role": "assistant", "content": content}, interrupted, placeholder, next})
	e.sync()

	status, page := getJSON(t, e, http.MethodGet, "/v1/sessions/"+session+"/transcript")
	turns, _ := page["data"].([]any)
	if status != 200 || len(turns) != 2 {
		t.Fatalf("transcript: %d %v", status, page)
	}
	tc := turns[0].(map[string]any)["output"].(map[string]any)["tool_calls"].([]any)[0].(map[string]any)
	if tc["arguments"] != `{"command":"sleep 40 > out.txt"}` {
		t.Errorf("the call's arguments: %q", tc["arguments"])
	}
	var got []string
	for _, m := range turns[1].(map[string]any)["input"].([]any) {
		m := m.(map[string]any)
		got = append(got, m["role"].(string)+":"+m["content"].(string))
		if m["role"] == "tool" && (m["is_error"] != true || m["tool_call_id"] != id) {
			t.Errorf("the interrupted result: %v", m)
		}
	}
	if want := "tool:[Tool call interrupted by user] | assistant:No response requested. | user:say done"; strings.Join(got, " | ") != want {
		t.Errorf("the resumed turn's input: %q, want %q", strings.Join(got, " | "), want)
	}
}
