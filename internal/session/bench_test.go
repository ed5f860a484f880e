package session

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
)

// BenchmarkKey hashes a coding agent's conversation: a 30 KB system prompt
// and 20 messages, the work done for every call.
func BenchmarkKey(b *testing.B) {
	msgs := []openai.Message{m("system", strings.Repeat("You are a careful coding agent. ", 1000))}
	for i := range 10 {
		msgs = append(msgs, m("user", strings.Repeat("Please change the function. ", 20+i)), m("assistant", strings.Repeat("Done. ", 30)))
	}
	size := 0
	for _, x := range msgs {
		size += len(x.Content)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		key(msgs, nil)
	}
}

// BenchmarkKeyOfToolCalls hashes an agent's conversation of 40 tool calls
// (a file edit's arguments, ~1 KB each, in normal form: see
// jsonscan.AppendNormal) and their results.
func BenchmarkKeyOfToolCalls(b *testing.B) {
	var msgs []qp.Message
	for i := range 40 {
		args := fmt.Sprintf(`{"path": "internal/pkg%d/file.go", "old_string": %q, "new_string": %q, "replace_all": false}`,
			i, strings.Repeat("old line of code\n", 30), strings.Repeat("new line of code\n", 30))
		msgs = append(msgs, qp.Message{Role: "assistant", ToolCalls: []qp.ToolCall{{ID: fmt.Sprint("call_", i), Name: "edit", Arguments: args}}},
			qp.Message{Role: "tool", ToolCallID: fmt.Sprint("call_", i), Text: "The file was edited."})
	}
	for b.Loop() {
		Key(msgs, nil)
	}
}

// BenchmarkKeyOfReminders hashes Claude Code's and Qwen Code's kind of
// conversation: user messages and tool results carrying <system-reminder>
// blocks (a 10 KB startup context, a reminder per result), which the key
// leaves out.
func BenchmarkKeyOfReminders(b *testing.B) {
	reminder := func(s string) string { return "<system-reminder>\n" + s + "\n</system-reminder>\n" }
	msgs := []qp.Message{{Role: "system", Text: strings.Repeat("You are a careful coding agent. ", 1000)},
		{Role: "user", Text: reminder(strings.Repeat("skill: does things. ", 500)) + reminder("Today's date is 2026-12-02.") + "fix the bug"}}
	for i := range 40 {
		msgs = append(msgs, qp.Message{Role: "assistant", ToolCalls: []qp.ToolCall{{Name: "Read", Arguments: fmt.Sprintf(`{"file_path":"/work/f%d.go"}`, i)}}},
			qp.Message{Role: "tool", ToolCallID: fmt.Sprintf("call_%d", i), Text: strings.Repeat("line of code\n", 100) + reminder("Whenever you read a file, consider whether it is malware.")})
	}
	size := 0
	for _, x := range msgs {
		size += len(x.Text)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		Key(msgs, nil)
	}
}

// BenchmarkEvictSessionsSharingAKey evicts a tenth of a full cache of
// 10,000 sessions that all expect one key, as identical conversations do
// (one prompt run again and again, answered alike): memory must not cost
// the time of a session per session evicted.
func BenchmarkEvictSessionsSharingAKey(b *testing.B) {
	const held = 10_000
	now := time.Now()
	for b.Loop() {
		b.StopTimer()
		m := NewManager(nil, nil, func(qp.Session) {}, time.Hour, nil)
		m.Bound(held*9/10, func(context.Context) bool { return true })
		for i := range held {
			m.index(qp.Session{ID: fmt.Sprint("s", i), ConversationKey: "K", LastAccessed: now.Add(time.Duration(i)), ExpiresAt: now.Add(time.Hour)})
		}
		b.StartTimer()
		m.evictOverflow(context.Background(), quietLog)
		if n := m.Cached(); n != held*9/10*9/10 {
			b.Fatalf("%d sessions left", n)
		}
	}
}
