package recorder

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	qp "qwenproxy"
)

// batchWriter keeps every batch whole (sessions too), refusing them while
// down (with err, else os.ErrPermission), and counts the writes tried.
type batchWriter struct {
	mu      sync.Mutex
	down    bool
	err     error
	tries   int
	batches []qp.Batch
}

func (w *batchWriter) WriteBatch(_ context.Context, b qp.Batch) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tries++
	if w.down {
		if w.err != nil {
			return w.err
		}
		return os.ErrPermission
	}
	w.batches = append(w.batches, b)
	return nil
}

// `history redact` reaches the calls still in the spool (the database was
// away when they were recorded): each field a record keeps a secret in is
// masked as the database's columns are — bodies as JSON, the failure and
// the session's first message as text — in the spool, its refused records
// and its unreadable lines; a record without a secret keeps its bytes; and
// the spool, replayed afterwards into the database, writes the masked
// records. A second run finds nothing to change.
func TestRedactSpoolMasksEveryRecordItHolds(t *testing.T) {
	const secret = "spooled-Secret-7"
	path := filepath.Join(t.TempDir(), "db.spool")
	w := &batchWriter{down: true}
	r := mustNew(t, w, quiet, Options{RetryDelay: time.Millisecond, WriteRetries: 1, SpoolPath: path, Linger: -1})
	at := time.UnixMilli(time.Now().UnixMilli()).UTC()
	r.SaveSession(qp.Session{ID: "s-1", FirstUserMessage: "my key is " + secret, CreatedAt: at, LastAccessed: at})
	r.Record(qp.Exchange{
		Request: qp.Request{RequestID: "secret", SessionID: "s-1", Timestamp: at,
			OpenAIRequest: []byte(`{"messages":[{"role":"user","content":"my key is ` + secret + `"}]}`),
			QwenRequest:   []byte(`{"messages":[{"content":"my key is ` + secret + `"}]}`)},
		Response: qp.Response{Timestamp: at, Status: qp.StatusError, ErrorMessage: "Qwen said: " + secret,
			UpstreamErrors: []string{"completion: refused " + secret},
			OpenAIResponse: []byte(`{"error":{"message":"` + secret + `"}}`)},
	})
	clean := qp.Exchange{Request: qp.Request{RequestID: "clean", Timestamp: at, OpenAIRequest: []byte(`{"messages":[]}`)},
		Response: qp.Response{Timestamp: at, Status: qp.StatusSuccess, OpenAIResponse: []byte(`{"ok":true}`)}}
	r.Record(clean)
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	spooled, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(spooled, []byte("\n"))
	if len(lines) != 4 || len(lines[3]) != 0 { // the session, two calls, the end
		t.Fatalf("the spool holds %q, want a session's line and two calls'", spooled)
	}
	// A refused record, as setAside keeps it, and a line torn by a crash.
	if err := os.WriteFile(path+".rejected", lines[1], 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".corrupt", []byte(`{"exchange":{"Request":{"RequestID":"torn","OpenAIRequest":"`+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	mask := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(secret), []byte("[REDACTED]")) }
	got, err := RedactSpool(path, SpoolMask{JSON: mask, Text: mask})
	if err != nil {
		t.Fatal(err)
	}
	if want := (SpoolRedaction{Records: 4, Rewritten: 3, Files: 3}); got != want {
		t.Errorf("RedactSpool = %+v, want %+v", got, want)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(after, lines[2]) {
		t.Errorf("the record without a secret changed: %q, was %q", after, lines[2])
	}
	for _, name := range []string{path, path + ".rejected", path + ".corrupt"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if decoded := decodeSpoolFile(t, b); strings.Contains(decoded, secret) {
			t.Errorf("%s still holds the secret: %s", filepath.Base(name), decoded)
		}
		if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v, want owner-only", filepath.Base(name), err, fi.Mode())
		}
	}
	if again, err := RedactSpool(path, SpoolMask{JSON: mask, Text: mask}); err != nil || again.Rewritten != 0 || again.Files != 0 {
		t.Errorf("a second run: %+v, %v; want nothing changed", again, err)
	}

	// Replayed into the database at the next start: the masked records.
	w = &batchWriter{}
	r = mustNew(t, w, quiet, Options{SpoolPath: path, Linger: -1})
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var replayed []byte
	for _, b := range w.batches {
		for _, s := range b.Sessions {
			line, _ := json.Marshal(spoolLine{Session: &s})
			replayed = append(append(replayed, line...), '\n')
		}
		for _, e := range b.Exchanges {
			line, _ := json.Marshal(spoolLine{Exchange: &e})
			replayed = append(append(replayed, line...), '\n')
		}
	}
	written := decodeSpoolFile(t, replayed)
	// The first message, both requests, the answer, the failure, its attempt.
	if strings.Contains(written, secret) || !strings.Contains(written, `"RequestID":"clean"`) || strings.Count(written, "[REDACTED]") != 6 {
		t.Errorf("replayed: %s", written)
	}
}

// A spool never made is nothing to mask, and nothing is made for it.
func TestRedactSpoolOfNoSpool(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.spool")
	mask := func(b []byte) []byte { return b }
	if HasSpool(path) {
		t.Fatal("HasSpool of nothing")
	}
	if got, err := RedactSpool(path, SpoolMask{JSON: mask, Text: mask}); err != nil || got != (SpoolRedaction{}) {
		t.Errorf("RedactSpool of no spool = %+v, %v", got, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 0 {
		t.Errorf("made %v", entries)
	}
}

// decodeSpoolFile is a spool file's text with its records' bodies decoded
// (JSON keeps []byte as base64, which a search for the secret misses).
func decodeSpoolFile(t *testing.T, b []byte) string {
	t.Helper()
	var out strings.Builder
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var l spoolLine
		if json.Unmarshal(line, &l) != nil {
			out.Write(line)
			continue
		}
		out.Write(line)
		if e := l.Exchange; e != nil {
			for _, body := range [][]byte{e.Request.OpenAIRequest, e.Request.QwenRequest, e.Response.OpenAIResponse, e.Response.QwenResponse} {
				out.Write(body)
			}
		}
	}
	return out.String()
}

// A spooled session's first message, a name cut short, is masked by
// SpoolMask.Name where one is given (a secret its cut came within), by
// Text otherwise; the bodies are not.
func TestRedactSpoolMasksAFirstMessageAsAName(t *testing.T) {
	named := func(b []byte) []byte { return append([]byte("named:"), b...) }
	text := func(b []byte) []byte { return append([]byte("text:"), b...) }
	for _, c := range []struct {
		mask SpoolMask
		want string
	}{
		{SpoolMask{JSON: text, Text: text, Name: named}, "named:hello"},
		{SpoolMask{JSON: text, Text: text}, "text:hello"},
	} {
		l := spoolLine{Session: &qp.Session{ID: "s", FirstUserMessage: "hello"}}
		if !maskSpoolLine(&l, c.mask) || l.Session.FirstUserMessage != c.want {
			t.Errorf("the first message masked as %q, want %q", l.Session.FirstUserMessage, c.want)
		}
	}
}
