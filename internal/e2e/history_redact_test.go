package e2e

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/redact"
	"qwenproxy/internal/store"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// A secret the server did not know when it recorded calls (an old password
// a client pasted) is masked by `history redact`'s rewrite while the server
// runs on the database: the history API then answers what it answered
// before with [REDACTED] for the secret, byte for byte, and the server goes
// on recording the conversation.
func TestHistoryRedactBesideARunningServer(t *testing.T) {
	storetest.EachBackend(t, func(t *testing.T, backend string) {
		e := startOn(t, backend, nil)
		const secret = "old-leaked-Passw0rd-from-2025"
		for _, body := range []string{
			`{"model":"qwen3-max","messages":[{"role":"user","content":"my password was ` + secret + `, is it strong?"}]}`,
			`{"model":"qwen3-max","stream":true,"messages":[{"role":"user","content":"my password was ` + secret + `, is it strong?"},` +
				`{"role":"assistant","content":"It is."},{"role":"user","content":"say it again: ` + secret + `"}]}`,
		} {
			post(t, e, body)
		}
		e.sync()
		paths := []string{"/v1/export", "/v1/sessions", "/v1/requests?limit=10"}
		before := readPaths(t, e, paths)
		if !strings.Contains(before, secret) {
			t.Fatalf("the history holds no secret before:\n%s", before)
		}

		st, err := store.Open(ctxT(t), e.dbURL, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		k := redact.NewKnown("", secret)
		p, err := st.RedactHistory(ctxT(t), sqlstore.Redaction{JSON: k.JSON, Text: k.Bytes}, 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.Rewritten != 2 || p.Sessions != 2 {
			t.Errorf("progress %+v, want 2 calls and their 2 sessions rewritten", p)
		}
		after := readPaths(t, e, paths)
		if want := strings.ReplaceAll(before, secret, redact.Placeholder); after != want {
			t.Errorf("read back:\n%s\nwant:\n%s", after, want)
		}
		// As the command ends, the parts no call uses removed and the
		// space given back: on SQLite the secret is in neither the file
		// (its freed cells and pages erased) nor the WAL (truncated), the
		// server beside it idle.
		if _, err := st.DeleteUnusedParts(ctxT(t), time.Now().Add(-st.PartGrace())); err != nil {
			t.Fatal(err)
		}
		if err := st.ReclaimSpace(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		if backend == "sqlite" {
			for _, name := range []string{e.dbURL, e.dbURL + "-wal"} {
				if b, err := os.ReadFile(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
					t.Fatal(err)
				} else if n := bytes.Count(b, []byte(secret)); n > 0 {
					t.Errorf("%s holds the secret %d times after the rewrite", filepath.Base(name), n)
				}
			}
		}

		// The server goes on recording beside what was rewritten.
		post(t, e, `{"model":"qwen3-max","messages":[{"role":"user","content":"my password was `+secret+`, is it strong?"},`+
			`{"role":"assistant","content":"It is."},{"role":"user","content":"say it again: `+secret+`"},`+
			`{"role":"assistant","content":"It is."},{"role":"user","content":"thanks"}]}`)
		e.sync()
		if n := len(list(t, e, "/v1/requests")); n != 3 {
			t.Errorf("%d calls listed after a third, want 3", n)
		}
	})
}

func post(t *testing.T, e *env, body string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctxT(t), http.MethodPost, e.app.URL()+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", body, resp.StatusCode, b)
	}
}

// readPaths is the history API's answers to paths, one after the other.
func readPaths(t *testing.T, e *env, paths []string) string {
	t.Helper()
	var all strings.Builder
	for _, path := range paths {
		req, _ := http.NewRequestWithContext(ctxT(t), http.MethodGet, e.app.URL()+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		all.Write(b)
		all.WriteByte('\n')
	}
	return all.String()
}
