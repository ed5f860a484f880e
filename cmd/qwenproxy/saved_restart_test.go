package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// keyedGet is GET route with key (none for ""), returning the status.
func (s *proxyProcess) keyedGet(t *testing.T, route, key string) int {
	t.Helper()
	return s.keyed(t, "GET", route, key, "").StatusCode
}

// keyedCall makes one chat call with key, which must be answered, and
// returns its X-Request-Id.
func (s *proxyProcess) keyedCall(t *testing.T, key, text string) string {
	t.Helper()
	resp := s.keyed(t, "POST", "/v1/chat/completions", key,
		`{"model":"qwen3-max","messages":[{"role":"user","content":`+fmt.Sprintf("%q", text)+`}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("call %q with the key: %d", text, resp.StatusCode)
	}
	return resp.Header.Get("X-Request-Id")
}

// keyed sends method route with key (none for "") and a JSON body (none
// for ""), and returns the response, its body read and closed.
func (s *proxyProcess) keyed(t *testing.T, method, route, key, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.base+route, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// sqliteQuery reads one integer from the SQLite file db.
func sqliteQuery(t *testing.T, db, query string) int64 {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int64
	if err := conn.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s on %s: %v", query, db, err)
	}
	return n
}

// A server restarted after its database file was deleted under it made a
// new, empty file and served without the stored API keys — open to anyone,
// said only by /health's "api_keys":"none" — and gave the calls made after
// the deletion the numeric ids of the saved calls (/v1/requests/1 opened
// one of them). The restart now brings the keys of the newest save in, and
// raises the id floors past the saved file's; `copy` still brings the
// calls, once, without a second key.
func TestRestartAfterDeletedFileKeepsKeysAndIDs(t *testing.T) {
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "h.db")
	out, errOut, code := runCLI(t, db, "keys", "add", "--name", "k", "--admin", "--json")
	var added struct{ ID, Key string }
	if err := json.Unmarshal([]byte(out), &added); code != 0 || err != nil || added.Key == "" {
		t.Fatalf("keys add: %d %v %s %s", code, err, out, errOut)
	}

	// Each call answered once its record is committed (or spooled): the
	// saved file holds every call made before the deletion.
	s := serveLogged(t, bin, db, "RECORDER_SYNC=true")
	if code := s.keyedGet(t, "/v1/sessions", ""); code != 401 {
		t.Fatalf("no key before the deletion: %d, want 401", code)
	}
	var before []string
	for i := range 5 {
		before = append(before, s.keyedCall(t, added.Key, fmt.Sprint("before ", i)))
	}
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	s.health(t, "/health") // notices, and saves in the background
	s.waitSaved(t, db)
	spooled := s.keyedCall(t, added.Key, "after the deletion")
	s.waitQueue(t)
	s.stop(t)
	saved, _ := filepath.Glob(db + ".saved-*")
	if len(saved) != 1 {
		t.Fatalf("saves beside the database: %q", saved)
	}
	savedMax := sqliteQuery(t, saved[0], `SELECT MAX(id) FROM requests`)

	s = serveLogged(t, bin, db, "RECORDER_SYNC=true")
	s.waitPlaced(t)
	if code := s.keyedGet(t, "/v1/sessions", ""); code != 401 {
		t.Fatalf("no key after the restart: %d, want 401 (the stored key was lost)\n%s", code, s.log())
	}
	if code := s.keyedGet(t, "/v1/sessions", added.Key); code != 200 {
		t.Fatalf("the stored key after the restart: %d, want 200", code)
	}
	if _, body := s.health(t, "/health"); body["api_keys"] == "none" {
		t.Fatalf("/health after the restart: %v", body)
	}
	after := s.keyedCall(t, added.Key, "after the restart")
	// The saved file's first call is not there until copied: its id names
	// nothing rather than a later call.
	if code := s.keyedGet(t, "/v1/requests/1", added.Key); code != 404 {
		t.Fatalf("/v1/requests/1 after the restart: %d, want 404 (an id of the saved file given again)", code)
	}
	if !strings.Contains(s.log(), "brought the settings of a saved history") {
		t.Fatalf("the log does not say what the restart brought in:\n%s", s.log())
	}
	s.stop(t)
	for _, id := range []string{spooled, after} {
		if n := sqliteQuery(t, db, `SELECT id FROM requests WHERE request_id = '`+id+`'`); n <= savedMax {
			t.Fatalf("call %s has id %d, given in the saved file already (up to %d)", id, n, savedMax)
		}
	}

	// The copy the log names brings the saved calls in, once, beside the
	// key the restart brought (not a second one).
	for range 2 {
		if out, err := exec.Command(bin, "copy", "--from", "sqlite:"+saved[0], "--to", "sqlite:"+db).CombinedOutput(); err != nil {
			t.Fatalf("copy: %v\n%s", err, out)
		}
	}
	if n := missing(append(before, spooled, after), storedIDs(t, db)); n != 0 {
		t.Fatalf("%d calls missing after the copy", n)
	}
	if n := sqliteQuery(t, db, `SELECT COUNT(*) FROM requests`); n != int64(len(before)+2) {
		t.Fatalf("%d calls after copying twice, want %d", n, len(before)+2)
	}
	if n := sqliteQuery(t, db, `SELECT COUNT(*) FROM api_keys`); n != 1 {
		t.Fatalf("%d keys after the copy, want 1", n)
	}
}

// A save the restart cannot read (damaged here) stops the start, naming the
// file and what to do, rather than serving without the keys it may hold;
// and the failed start leaves no database file behind, so the next start
// (the save moved away) is again a new file's.
func TestRestartRefusesASaveItCannotRead(t *testing.T) {
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "h.db")
	saved := db + ".saved-20261207T080000Z"
	if err := os.WriteFile(saved, []byte("not a database, but as long as a SQLite header would be: 0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := serveFails(t, bin, []string{"--port", "0", "--database-path", db})
	if !strings.Contains(out, saved) || !strings.Contains(out, "qwenproxy copy --from sqlite:"+saved) || !strings.Contains(out, "move") {
		t.Fatalf("the refusal does not name the save and what to do:\n%s", out)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("the refused start left a database file: %v", err)
	}
}
