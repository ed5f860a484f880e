package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// A session search longer than 50,000 bytes (SQLite's bound on a LIKE
// pattern) was a 503 database_error, "the history database could not
// answer; try again", which trying again never changes: the client's input
// was at fault. A search is now at most the 4,096 bytes a session's first
// message is kept to (a longer one could match none): a 400 naming it.
func TestASearchLongerThanAFirstMessageIsRefusedAsTheClients(t *testing.T) {
	e := start(t, nil)
	// With no session the database never reads the pattern.
	if status, body := postChat(t, e, `{"model":"qwen3-max","messages":[{"role":"user","content":"hi"}]}`); status != http.StatusOK {
		t.Fatalf("a chat: %d %s", status, body)
	}
	if err := e.app.Sync(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{4097, 60_000} {
		resp, err := http.Get(e.app.URL() + "/v1/sessions?search=" + strings.Repeat("a", n))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var got struct {
			Error struct{ Code, Param string }
		}
		_ = json.Unmarshal(body, &got)
		if resp.StatusCode != http.StatusBadRequest || got.Error.Code != "invalid_filter" || got.Error.Param != "search" {
			t.Errorf("a search of %d bytes: %d %.300s, want 400 invalid_filter on search", n, resp.StatusCode, body)
		}
	}
	resp, err := http.Get(e.app.URL() + "/v1/sessions?search=" + strings.Repeat("a", 4096))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a search of 4096 bytes: %d, want 200", resp.StatusCode)
	}
}
