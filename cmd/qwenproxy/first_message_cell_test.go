package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// sessions ls wrote a first message's newlines and tabs as spaces
// (strings.Fields), where the README says a table cell escapes them (\n,
// \t) as it does every control character.
func TestSessionsTableEscapesNewlinesAndTabs(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "history.db")
	st := storetest.Open(t, dbPath)
	at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
	s := qp.Session{ID: "s-1", ChatID: "chat-1", ParentID: "p", Model: "qwen3-max", FirstUserMessage: "fix this:\n\tfunc main() {}",
		MessageCount: 1, ConversationKey: "k", CreatedAt: at, LastAccessed: at, ExpiresAt: at.Add(time.Hour)}
	if err := st.WriteBatch(context.Background(), qp.Batch{Sessions: []qp.Session{s}}); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runOn(t, dbPath, "sessions", "ls")
	if code != 0 || !strings.Contains(out, `fix this:\n\tfunc main() {}`) {
		t.Fatalf("sessions ls: exit %d, %q %q", code, out, errOut)
	}
}
