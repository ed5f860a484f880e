package e2e

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"qwenproxy/internal/store/sqlite"
)

// README: a server whose SQLite file is deleted under it saves the calls it
// holds "as soon as it notices — at the next record written, readiness
// check or health check". GET /health noticed nothing: only /health/ready
// and /health/detailed did, so a monitor probing only the liveness probe
// left the calls unsaved until the stop. /health looks at the file (a
// stat), and the save runs beside it: the probe answers 200 at once.
func TestHealthNoticesADeletedDatabaseFile(t *testing.T) {
	e := start(t, nil)
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":"kept"}]}`, nil)
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("call: %d %s", resp.StatusCode, b)
	}
	id := resp.Header.Get("X-Request-Id")
	e.sync()
	path := e.cfg.DatabasePath
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	health, err := http.Get(e.app.URL() + "/health")
	if err != nil {
		t.Fatal(err)
	}
	health.Body.Close()
	if health.StatusCode != 200 {
		t.Fatalf("/health with the file deleted: %d, want 200 (liveness)", health.StatusCode)
	}
	e.app.Store().Noticed() // the save /health began, if any
	saved, err := filepath.Glob(path + sqlite.SavedInfix + "*")
	if err != nil {
		t.Fatal(err)
	}
	if len(saved) != 1 {
		t.Fatalf("files saved beside %s after /health: %q, want one", path, saved)
	}
	db, err := sql.Open("sqlite", "file:"+saved[0]+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT count(*) FROM requests WHERE request_id = ?`, id).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the saved file holds %d of call %s (%v), want 1", n, id, err)
	}
}
