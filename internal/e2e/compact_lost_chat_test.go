package e2e

import (
	"strings"
	"testing"
)

// Claude Code's summary call, and its second ask with the same history when
// the summary lacks its tags, after Qwen lost the conversation's chat (a
// user deleted it, or chats the proxy's restarted simulator never had): the
// first goes on in a new chat of the session told the conversation; the
// second asks in its place, in that session too. It opened a session of
// its own. On PostgreSQL the session is found by the state the database
// keeps of its last turn, alone on SQLite by memory's.
func TestClaudeCodesSecondSummaryAskAfterALostChatStaysInItsSession(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { secondSummaryAskAfterALostChat(t, backend) })
	}
}

func secondSummaryAskAfterALostChat(t *testing.T, backend string) {
	e := startOn(t, backend, nil)
	history, result, _ := writtenFileTurns(t, e)
	e.sim.ForgetChats()

	const ask = "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\n\nYour task is to create a detailed summary of the conversation so far."
	summary := append(history, map[string]any{"role": "user", "content": []any{result, map[string]any{"type": "text", "text": ask}}})
	claudeCodeCall(t, e, summary)
	claudeCodeCall(t, e, summary)

	rows := e.rows()
	if len(rows) != 4 {
		t.Fatalf("%d calls", len(rows))
	}
	for _, r := range rows[2:] {
		if r.SessionID != rows[0].SessionID {
			for _, r := range rows {
				t.Logf("call %s: session %s, chat %s, prompt tokens %d", r.RequestID, r.SessionID, r.ChatID, r.PromptTokens)
			}
			t.Fatalf("a summary call left the conversation's session")
		}
	}
	if n := e.count(`SELECT COUNT(*) FROM sessions`); n != 1 {
		t.Fatalf("%d sessions for one conversation", n)
	}
	if told := lastUpstreamMessage(t, e); !strings.Contains(told, ask[:40]) {
		t.Fatalf("upstream was told %q", told)
	}
}
