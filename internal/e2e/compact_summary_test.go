package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"qwenproxy/internal/qwensim"
)

// Claude Code 2.1.332's /compact (and its automatic compaction) keeps the
// conversation's last answer verbatim and asks for a summary of what came
// before it: the call resends the conversation without that answer, its
// instruction added to the message that carried the last tool result, as
// recorded through the proxy (cut to what matters here). That call re-asks
// the session's last turn: it must be recorded in the conversation's
// session and answered in its Qwen chat, hung where the client's history
// ends (under the answer before the last, as Qwen's web client hangs an
// edited message), with only the new turn told. It opened a session of its
// own and replayed the whole conversation into a new chat.
func TestClaudeCodesSummaryCallStaysInItsSession(t *testing.T) {
	e := start(t, nil)
	first := map[string]any{"role": "user", "content": textParts(claudeCodeReminder, "use Write with {\"file_path\":\"/work/app.py\",\"content\":\"print(1)\\n\"}")}
	env := map[string]any{"role": "system", "content": textParts(claudeCodeEnv)}
	called := claudeCodeCall(t, e, []any{first, env})
	id := toolUseID(t, called)
	result := map[string]any{"type": "tool_result", "tool_use_id": id, "content": "File created successfully at: /work/app.py"}
	claudeCodeCall(t, e, []any{first, env, map[string]any{"role": "assistant", "content": called},
		map[string]any{"role": "user", "content": []any{result}}})

	const ask = "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\n\nYour task is to create a detailed summary of the conversation so far."
	claudeCodeCall(t, e, []any{first, env, map[string]any{"role": "assistant", "content": called},
		map[string]any{"role": "user", "content": []any{result, map[string]any{"type": "text", "text": ask}}}})

	rows := e.rows()
	if len(rows) != 3 || rows[2].SessionID != rows[0].SessionID || rows[2].ChatID != rows[0].ChatID {
		for _, r := range rows {
			t.Logf("call %s: session %s, chat %s", r.RequestID, r.SessionID, r.ChatID)
		}
		t.Fatalf("the summary call left the conversation's session (%d calls)", len(rows))
	}
	if n := e.count(`SELECT COUNT(*) FROM sessions`); n != 1 {
		t.Fatalf("%d sessions for one conversation", n)
	}
	up := upstreamCompletions(t, e.sim)
	if len(up) != 3 || up[2]["parent_id"] != up[1]["parent_id"] {
		t.Fatalf("the summary call was not hung where the tool result's turn was: %d completions, parents %v", len(up), parentsOf(up))
	}
	if told := lastUpstreamMessage(t, e); strings.Contains(told, "[Earlier conversation") || !strings.Contains(told, "detailed summary") {
		t.Fatalf("upstream was told %q", told)
	}
}

// A summary call that fails leaves the session where its last answer left
// it: the conversation's next turn continues the chat under that answer.
func TestAFailedSummaryCallLeavesTheSessionAtItsLastAnswer(t *testing.T) {
	e := start(t, nil)
	history, result, answered := writtenFileTurns(t, e)

	e.sim.Inject(qwensim.Fault{Status: 400})
	m, err := json.Marshal(append(history, map[string]any{"role": "user", "content": []any{result, map[string]any{"type": "text", "text": "summarize"}}}))
	if err != nil {
		t.Fatal(err)
	}
	resp := postJSON(t, e, "/v1/messages", `{"model":"claude-opus-5-5","max_tokens":32000,"messages":`+string(m)+`,"tools":`+claudeCodeTools+`}`, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		t.Fatalf("the summary call did not fail: %s", b)
	}

	next := claudeCodeCall(t, e, append(history, map[string]any{"role": "user", "content": []any{result}},
		map[string]any{"role": "assistant", "content": answered}, map[string]any{"role": "user", "content": "and now?"}))
	rows := e.rows()
	if len(rows) != 4 || rows[3].SessionID != rows[0].SessionID || rows[3].ChatID != rows[0].ChatID {
		t.Fatalf("the next turn left the session: %+v", rows)
	}
	// The simulator counts the answers on the thread the turn hangs under:
	// both of the conversation's, not the first alone.
	if text := next[0].(map[string]any)["text"].(string); !strings.Contains(text, "Earlier answers of mine: 2.") || strings.Contains(text, "[Earlier conversation") {
		t.Fatalf("the next turn did not hang under the last answer: %q", text)
	}
}

// A conversation identical so far whose tool call had an id of its own (a
// parallel run of the same task) re-asking the same turn is not the
// session's: it opens its own, as before.
func TestARunWhoseCallsAreNotTheSessionsDoesNotReaskItsTurn(t *testing.T) {
	e := start(t, nil)
	first := map[string]any{"role": "user", "content": textParts("use Write with {\"file_path\":\"/work/app.py\",\"content\":\"print(1)\\n\"}")}
	called := claudeCodeCall(t, e, []any{first})
	result := func(id string) map[string]any {
		return map[string]any{"type": "tool_result", "tool_use_id": id, "content": "File created successfully at: /work/app.py"}
	}
	claudeCodeCall(t, e, []any{first, map[string]any{"role": "assistant", "content": called},
		map[string]any{"role": "user", "content": []any{result(toolUseID(t, called))}}})

	other := strings.Replace(toolUseID(t, called), "toolu_", "toolu_x", 1)
	otherCalled := []any{map[string]any{"type": "tool_use", "id": other, "name": "Write",
		"input": map[string]any{"file_path": "/work/app.py", "content": "print(1)\n"}}}
	claudeCodeCall(t, e, []any{first, map[string]any{"role": "assistant", "content": otherCalled},
		map[string]any{"role": "user", "content": []any{result(other), map[string]any{"type": "text", "text": "and summarize"}}}})

	rows := e.rows()
	if len(rows) != 3 || rows[2].SessionID == rows[0].SessionID || rows[2].ChatID == rows[0].ChatID {
		t.Fatalf("another run's turn went to the session: %+v", rows)
	}
}

// writtenFileTurns makes the two calls of a Claude Code conversation that
// writes a file: the ask, answered with a Write call, then its result,
// answered. It returns the history up to the call (the ask and the answer
// calling Write), the tool_result block, and the answer to it.
func writtenFileTurns(t *testing.T, e *env) (history []any, result map[string]any, answered []any) {
	t.Helper()
	first := map[string]any{"role": "user", "content": textParts("use Write with {\"file_path\":\"/work/app.py\",\"content\":\"print(1)\\n\"}")}
	called := claudeCodeCall(t, e, []any{first})
	result = map[string]any{"type": "tool_result", "tool_use_id": toolUseID(t, called), "content": "File created successfully at: /work/app.py"}
	history = []any{first, map[string]any{"role": "assistant", "content": called}}
	answered = claudeCodeCall(t, e, append(history, map[string]any{"role": "user", "content": []any{result}}))
	return history, result, answered
}

// toolUseID is the id of the first tool_use block of an answer's content.
func toolUseID(t *testing.T, content []any) string {
	t.Helper()
	for _, b := range content {
		if b := b.(map[string]any); b["type"] == "tool_use" {
			return b["id"].(string)
		}
	}
	t.Fatalf("no tool_use in %v", content)
	return ""
}

// parentsOf lists the parent_id of each upstream completion.
func parentsOf(up []map[string]any) []any {
	var out []any
	for _, c := range up {
		out = append(out, c["parent_id"])
	}
	return out
}

// Qwen Code 0.24.4 follows a turn with a side call of its own (its
// automatic memory: "Managed memory has TWO directories. …", another tool
// set) that resends the conversation with its instruction as the new
// message; the next run of `qwen --continue` resends the conversation
// without it. That next turn asks something else where the side call asked:
// it stays in the session and chat, hung under the conversation's last
// answer, rather than opening a session per run with the whole
// conversation replayed into a new chat.
func TestATurnAfterAnAgentsSideCallStaysInItsSession(t *testing.T) {
	e := start(t, nil)
	system := map[string]any{"role": "system", "content": qwenCodeSystem}
	first := map[string]any{"role": "user", "content": "hello there"}
	answered := qwenCodeCall(t, e, []any{system, first})
	conversation := []any{system, first, answered}

	memory := map[string]any{"role": "user", "content": "Managed memory has TWO directories. Choose which one to write to."}
	m, err := json.Marshal(append(conversation, memory))
	if err != nil {
		t.Fatal(err)
	}
	memoryTools := `[{"type":"function","function":{"name":"write_memory","description":"Writes a memory.","parameters":{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}}}]`
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-coder-plus","messages":`+string(m)+`,"tools":`+memoryTools+`}`, nil)
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}

	next := qwenCodeCall(t, e, append(conversation, map[string]any{"role": "user", "content": "and the next thing"}))
	rows := e.rows()
	if len(rows) != 3 || rows[2].SessionID != rows[0].SessionID || rows[2].ChatID != rows[0].ChatID {
		for _, r := range rows {
			t.Logf("call %s: session %s, chat %s", r.RequestID, r.SessionID, r.ChatID)
		}
		t.Fatalf("the turn after the side call left the conversation's session (%d calls)", len(rows))
	}
	if n := e.count(`SELECT COUNT(*) FROM sessions`); n != 1 {
		t.Fatalf("%d sessions for one conversation", n)
	}
	// The simulator counts the answers on the thread the turn hangs under:
	// the conversation's one, not the side call's.
	if text, _ := next["content"].(string); !strings.Contains(text, "Earlier answers of mine: 1.") || strings.Contains(text, "Managed memory") {
		t.Fatalf("the turn did not hang under the conversation's answer: %q", text)
	}
	if told := lastUpstreamMessage(t, e); strings.Contains(told, "[Earlier conversation") || !strings.Contains(told, "and the next thing") {
		t.Fatalf("upstream was told %q", told)
	}
}

// Qwen refusing the conversation as too long (400, "prompt is too long")
// is what makes Claude Code compact: its summary call, and its second ask
// when a summary lacks its tags, ask in place of the last answered turn.
// The chat is outgrown, so they go on in a new chat told the conversation
// they send, but in the conversation's session: each opened a session of
// its own.
func TestClaudeCodesSummaryCallAfterTooLongStaysInItsSession(t *testing.T) {
	e := start(t, nil)
	history, result, answered := writtenFileTurns(t, e)

	e.sim.Inject(qwensim.Fault{ContextTooLong: true})
	m, err := json.Marshal(append(history, map[string]any{"role": "user", "content": []any{result}},
		map[string]any{"role": "assistant", "content": answered}, map[string]any{"role": "user", "content": "and now?"}))
	if err != nil {
		t.Fatal(err)
	}
	resp := postJSON(t, e, "/v1/messages", `{"model":"claude-opus-5-5","max_tokens":32000,"messages":`+string(m)+`,"tools":`+claudeCodeTools+`}`, nil)
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("the turn Qwen found too long: %d %s", resp.StatusCode, b)
	}

	ask := func(text string) {
		claudeCodeCall(t, e, append(history, map[string]any{"role": "user", "content": []any{result, map[string]any{"type": "text", "text": text}}}))
		if told := lastUpstreamMessage(t, e); !strings.Contains(told, "[Earlier conversation") || !strings.Contains(told, text) {
			t.Fatalf("the new chat was not told the conversation: %q", told)
		}
	}
	ask("CRITICAL: Respond with TEXT ONLY. Your task is to create a detailed summary of the conversation so far.")
	ask("CRITICAL: Respond with TEXT ONLY. Your task is to create a detailed summary of the conversation so far. For this reply only: use <summary></summary> tags.")

	rows := e.rows()
	if len(rows) != 5 {
		t.Fatalf("%d calls", len(rows))
	}
	for _, r := range rows[3:] {
		if r.SessionID != rows[0].SessionID || r.ChatID == rows[2].ChatID {
			for _, r := range rows {
				t.Logf("call %s: session %s, chat %s, %d", r.RequestID, r.SessionID, r.ChatID, r.HTTPStatus)
			}
			t.Fatalf("a summary call left the session, or went to the outgrown chat")
		}
	}
	if n := e.count(`SELECT COUNT(*) FROM sessions`); n != 1 {
		t.Fatalf("%d sessions for one conversation", n)
	}
}
