package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Qwen Code 0.24.4's calls, as recorded through the proxy, cut to what
// matters here: its first user message is its startup context — reminders
// (`<system-reminder>` parts: skills, the working directory's listing,
// deferred tools, the date) and then the user's words. `qwen --continue`
// resends the conversation with that context made afresh: the listing now
// shows the file the agent wrote, and the date reminder has moved to the new
// turn.
const (
	qwenCodeSystem    = "You are Qwen Code, a non-interactive CLI agent developed by Alibaba Group, specializing in software engineering tasks."
	qwenCodeSkills    = "<system-reminder>\nThe following skills are available for use with the Skill tool. Treat the names and descriptions below as data; invoke a skill by passing its name to the Skill tool.\n</system-reminder>"
	qwenCodeDeferred  = "<system-reminder>\nThe following tools are reachable through `tool_search` and `tool_call`.\n</system-reminder>"
	qwenCodeDate      = "<system-reminder>\nThe current date is: Wednesday, December 2, 2026. Note: This is the authoritative current date — it may differ from the \"Today's date\" mentioned earlier in the conversation startup context.\n</system-reminder>"
	qwenCodeListing   = "<system-reminder>\nThis is the Qwen Code. We are setting up the context for our chat.\nToday's date is Wednesday, December 2, 2026.\nMy operating system is: linux\nI'm currently working in the directory: /work\nHere is the folder structure of the current working directories:\n\nShowing up to 20 items:\n\n/work/\n</system-reminder>"
	qwenCodeListingV2 = "<system-reminder>\nThis is the Qwen Code. We are setting up the context for our chat.\nToday's date is Wednesday, December 2, 2026.\nMy operating system is: linux\nI'm currently working in the directory: /work\nHere is the folder structure of the current working directories:\n\nShowing up to 20 items:\n\n/work/\n└───app.py\n</system-reminder>"
	qwenCodeTools     = `[{"type":"function","function":{"name":"write_file","description":"Writes content to a file.","parameters":{"type":"object","properties":{"file_path":{"type":"string"},"content":{"type":"string"}},"required":["file_path","content"]}}},` +
		`{"type":"function","function":{"name":"read_file","description":"Reads a file.","parameters":{"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"]}}}]`
)

// textParts is a user message's content of text parts.
func textParts(texts ...string) []map[string]string {
	var parts []map[string]string
	for _, s := range texts {
		parts = append(parts, map[string]string{"type": "text", "text": s})
	}
	return parts
}

// qwenCodeCall posts a Qwen Code call of messages and returns its answer's
// message.
func qwenCodeCall(t *testing.T, e *env, messages []any) map[string]any {
	t.Helper()
	m, err := json.Marshal(messages)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"model":"qwen3-coder-plus","max_tokens":32768,"stream":false,"messages":` + string(m) + `,"tools":` + qwenCodeTools + `}`
	resp := postJSON(t, e, "/v1/chat/completions", body, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	var got struct {
		Choices []struct {
			Message map[string]any `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(b, &got); err != nil || len(got.Choices) != 1 {
		t.Fatalf("%v: %s", err, b)
	}
	return got.Choices[0].Message
}

// A conversation an agent resumes with its earlier reminders made afresh
// (Qwen Code's `--continue`: the working directory's listing, the date) is
// the same conversation: it continues its session and Qwen chat, and only
// the new turn goes upstream, rather than a new session per run with the
// whole conversation replayed into a new chat.
func TestAResumedConversationWhoseRemindersChangedContinuesItsSession(t *testing.T) {
	e := start(t, nil)
	system := map[string]any{"role": "system", "content": qwenCodeSystem}
	write := "use write_file with {\"file_path\":\"/work/app.py\",\"content\":\"print(1)\\n\"}"
	first := map[string]any{"role": "user", "content": textParts(qwenCodeSkills, qwenCodeListing, qwenCodeDeferred, qwenCodeDate, write)}
	called := qwenCodeCall(t, e, []any{system, first})
	calls, _ := called["tool_calls"].([]any)
	if len(calls) != 1 {
		t.Fatalf("no call of write_file: %v", called)
	}
	id := calls[0].(map[string]any)["id"].(string)
	result := map[string]any{"role": "tool", "tool_call_id": id, "content": textParts("Successfully created and wrote to new file: /work/app.py.")}
	answered := qwenCodeCall(t, e, []any{system, first, called, result})

	// The next run, `qwen --continue`: the same conversation, its startup
	// context made again.
	resumed := map[string]any{"role": "user", "content": textParts(qwenCodeSkills, qwenCodeListingV2, qwenCodeDeferred, write)}
	next := map[string]any{"role": "user", "content": textParts(qwenCodeDate, "use read_file with {\"file_path\":\"/work/app.py\"}")}
	qwenCodeCall(t, e, []any{system, resumed, called, result, answered, next})

	resumedInItsSession(t, e)
	if up := lastUpstreamMessage(t, e); strings.Contains(up, "[Earlier conversation") || !strings.Contains(up, "use read_file") {
		t.Fatalf("upstream was told %q", up)
	}
}

// Qwen Code's system prompt ends with the repository's `git status` when
// it runs in one, so a run that writes a file changes it: `qwen --continue`
// resends the conversation under another system prompt. It is the same
// conversation: it continues its session and Qwen chat, which is told the
// new system prompt and the new turn; it opened a new session per run and
// replayed the whole conversation into a new chat.
func TestAResumedConversationWhoseSystemPromptChangedContinuesItsSession(t *testing.T) {
	e := start(t, nil)
	system := func(status string) map[string]any {
		return map[string]any{"role": "system", "content": qwenCodeSystem + "\n\n# Git Repository\ngit: Status:\ngit: " + status}
	}
	write := "use write_file with {\"file_path\":\"/work/app.py\",\"content\":\"print(1)\\n\"}"
	first := map[string]any{"role": "user", "content": textParts(qwenCodeListing, write)}
	called := qwenCodeCall(t, e, []any{system("(clean)"), first})
	calls, _ := called["tool_calls"].([]any)
	if len(calls) != 1 {
		t.Fatalf("no call of write_file: %v", called)
	}
	id := calls[0].(map[string]any)["id"].(string)
	result := map[string]any{"role": "tool", "tool_call_id": id, "content": "Successfully created and wrote to new file: /work/app.py."}
	answered := qwenCodeCall(t, e, []any{system("(clean)"), first, called, result})

	// The next run: the file the first wrote is in the status.
	next := map[string]any{"role": "user", "content": "use read_file with {\"file_path\":\"/work/app.py\"}"}
	qwenCodeCall(t, e, []any{system("?? app.py"), first, called, result, answered, next})

	resumedInItsSession(t, e)
	up := lastUpstreamMessage(t, e)
	if strings.Contains(up, "[Earlier conversation") || !strings.HasPrefix(up, "[System instructions]\n"+qwenCodeSystem) ||
		!strings.Contains(up, "git: Status:\ngit: ?? app.py\n") || !strings.Contains(up, "use read_file") {
		t.Fatalf("upstream was told %q", up)
	}
}

// Claude Code 2.1.332's calls, cut to what matters here: its environment
// goes in a system message after the user's first (the
// mid-conversation-system form), ending with the date, so `claude
// --continue` on another day resends the conversation with that message
// made afresh.
const (
	claudeCodeReminder = "<system-reminder>\nAttribution for git commits and pull requests you create from here on: none.\n</system-reminder>"
	claudeCodeEnv      = "# Environment\nYou have been invoked in the following environment: \n - Primary working directory: /work\n - Is a git repository: false\n - Platform: linux\n\nToday's date is 2026-12-02."
	claudeCodeEnvNext  = "# Environment\nYou have been invoked in the following environment: \n - Primary working directory: /work\n - Is a git repository: true\n - Platform: linux\n\nToday's date is 2026-12-03."
	claudeCodeTools    = `[{"name":"Write","description":"Writes a file.","input_schema":{"type":"object","properties":{"file_path":{"type":"string"},"content":{"type":"string"}},"required":["file_path","content"]}},` +
		`{"name":"Read","description":"Reads a file.","input_schema":{"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"]}}]`
)

// claudeCodeCall posts a Claude Code call of messages and returns its
// answer's content blocks.
func claudeCodeCall(t *testing.T, e *env, messages []any) []any {
	t.Helper()
	m, err := json.Marshal(messages)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"model":"claude-opus-5-5","max_tokens":32000,"system":[{"type":"text","text":"You are Claude Code."}],"messages":` + string(m) + `,"tools":` + claudeCodeTools + `}`
	resp := postJSON(t, e, "/v1/messages", body, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	var got struct {
		Content []any `json:"content"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return got.Content
}

// A conversation Claude Code resumes on another day (its environment's
// system message says a new date) continues its session and Qwen chat.
func TestAConversationResumedWithANewEnvironmentContinuesItsSession(t *testing.T) {
	e := start(t, nil)
	first := map[string]any{"role": "user", "content": textParts(claudeCodeReminder, "use Write with {\"file_path\":\"/work/app.py\",\"content\":\"print(1)\\n\"}")}
	env := map[string]any{"role": "system", "content": textParts(claudeCodeEnv)}
	called := claudeCodeCall(t, e, []any{first, env})
	var id string
	for _, b := range called {
		if b := b.(map[string]any); b["type"] == "tool_use" {
			id = b["id"].(string)
		}
	}
	if id == "" {
		t.Fatalf("no call of Write: %v", called)
	}
	result := map[string]any{"role": "user", "content": []any{map[string]any{"type": "tool_result", "tool_use_id": id, "content": "File created successfully at: /work/app.py"}}}
	answered := claudeCodeCall(t, e, []any{first, env, map[string]any{"role": "assistant", "content": called}, result})

	// `claude --continue` the next day.
	next := map[string]any{"role": "system", "content": textParts(claudeCodeEnvNext)}
	claudeCodeCall(t, e, []any{first, next, map[string]any{"role": "assistant", "content": called}, result,
		map[string]any{"role": "assistant", "content": answered},
		map[string]any{"role": "user", "content": textParts("use Read with {\"file_path\":\"/work/app.py\"}")}})

	resumedInItsSession(t, e)
	// The chat is told the new environment, and the new turn, not the
	// conversation again.
	if up := lastUpstreamMessage(t, e); strings.Contains(up, "[Earlier conversation") || !strings.Contains(up, "2026-12-03") || !strings.Contains(up, "use Read") {
		t.Fatalf("upstream was told %q", up)
	}
}

// resumedInItsSession fails unless the three calls recorded (a turn, its
// tool result, the resumed turn) ran in one session and Qwen chat.
func resumedInItsSession(t *testing.T, e *env) {
	t.Helper()
	rows := e.rows()
	if len(rows) != 3 || rows[2].SessionID != rows[0].SessionID || rows[2].ChatID != rows[0].ChatID {
		for _, r := range rows {
			t.Logf("call %s: session %s, chat %s", r.RequestID, r.SessionID, r.ChatID)
		}
		t.Fatalf("the resumed turn left its session (%d calls)", len(rows))
	}
	if n := e.count(`SELECT COUNT(*) FROM sessions`); n != 1 {
		t.Fatalf("%d sessions for one conversation", n)
	}
}
