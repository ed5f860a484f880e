package recorder

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"qwenproxy/internal/logtest"
	"qwenproxy/internal/store/storetest"
)

// A spool an earlier build left holds its sessions as it named them: before
// a session's name was cut to 4,096 bytes (f934745), a first message of 10 KB
// was spooled whole. Replayed by this build after an upgrade, it was stored
// whole, where the README promises the name is cut (a long one outlived its
// calls in the session row and made retention by size delete a newer call).
// The store cuts it as it writes, whatever wrote the state.
func TestAnOlderBuildsSpooledSessionIsStoredWithItsNameCut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		spool := filepath.Join(t.TempDir(), "db.spool")
		long := strings.Repeat("é", 5000) // 10,000 bytes; two bytes a letter, so the cut must fall between letters
		// The line as the earlier build wrote it: Go's field names, times in RFC 3339.
		line := fmt.Sprintf(`{"session":{"ID":"old-session","ChatID":"chat-1","ParentID":"p-1","Model":"qwen3-max","FirstUserMessage":%q,`+
			`"MessageCount":2,"ConversationKey":"k-1","CreatedAt":"2026-12-01T10:00:00Z","LastAccessed":"2026-12-01T10:00:01Z",`+
			`"ExpiresAt":"2026-12-01T10:30:01Z","APIKeyID":"","Account":"cookie","LastCallIDs":null,"Named":false,`+
			`"ChatDeletedAt":"0001-01-01T00:00:00Z"}}`+"\n", "tell me "+long)
		if err := os.WriteFile(spool, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
		var logs logtest.Buffer
		r := mustNew(t, st, slog.New(slog.NewJSONHandler(&logs, nil)), Options{SpoolPath: spool})
		if err := r.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		stats := r.Stats()
		r.Close(context.Background())
		if stats.Replayed != 1 || stats.SpoolBytes != 0 {
			t.Fatalf("replay: %+v\n%s", stats, logs.String())
		}
		got, err := st.Session(context.Background(), "old-session")
		if err != nil {
			t.Fatal(err)
		}
		name := got.FirstUserMessage
		if len(name) > 4096 || !utf8.ValidString(name) || !strings.HasPrefix(name, "tell me éé") || len(name) < 4090 {
			t.Fatalf("stored name: %d bytes, valid UTF-8 %v, begins %q", len(name), utf8.ValidString(name), name[:min(len(name), 20)])
		}
	})
}
