package qwen

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestFailuresAreLoggedOncePerKindAndInterval(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil)) // default level: info, so warn shows
	f := NewFailureLog(log, time.Minute)
	now := time.Unix(1000, 0)
	f.now = func() time.Time { return now }
	auth := &Error{Kind: KindAuth, Status: 401, Message: "Invalid token"}
	for range 3 {
		f.Note("completions", auth)
	}
	f.Note("chats_new", &Error{Kind: KindFirewall, Message: "page"})
	f.Note("chats_new", &Error{Kind: KindBadRequest, Code: "Bad_Request", Message: "Internal error..."})
	f.Note("completions", nil)
	f.Note("completions", context.Canceled)
	f.Note("completions", &Error{Kind: KindNotFound, Message: "chat not found"}) // recovered by the caller
	// The client's conversation outgrew the model: the client is told
	// (400 context_length_exceeded) and the record says so; advice to try
	// again later would mislead.
	f.Note("completions", &Error{Kind: KindTooLong, Code: "ContextLengthExceeded"})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "kind=auth") ||
		!strings.Contains(lines[1], "kind=firewall") || !strings.Contains(lines[2], "kind=outdated_web_version") || !strings.Contains(lines[2], "QWEN_WEB_VERSION") {
		t.Fatalf("log:\n%s", buf.String())
	}
	now = now.Add(61 * time.Second)
	buf.Reset()
	f.Note("completions", auth)
	if !strings.Contains(buf.String(), "kind=auth") || !strings.Contains(buf.String(), "not_logged_since_last=2") {
		t.Fatalf("after a minute: %s", buf.String())
	}
}
