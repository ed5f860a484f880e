package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"qwenproxy/internal/translate"
)

// A session is named by its first user message cut to a bound: a 3 MB
// message was stored whole in the session row, which outlives its calls
// (kept while its first call may still run), so that retention by size,
// counting it, deleted a newer call in its place. The call's body still
// holds the message whole.
func TestASessionsFirstMessageIsBounded(t *testing.T) {
	e := start(t, nil)
	long := strings.Repeat("é", 2*translate.FirstUserMax) // two bytes a letter: the cut falls between letters
	content, _ := json.Marshal("tell me " + long)
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":`+string(content)+`}]}`, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	e.sync()
	var first string
	if err := e.db().QueryRow(`SELECT first_user_message FROM sessions`).Scan(&first); err != nil {
		t.Fatal(err)
	}
	if len(first) > translate.FirstUserMax || !utf8.ValidString(first) || !strings.HasPrefix(first, "tell me éé") {
		t.Errorf("first_user_message: %d bytes, valid UTF-8 %v, %.20q", len(first), utf8.ValidString(first), first)
	}
	status, call := getJSON(t, e, http.MethodGet, "/v1/requests/"+e.rows()[0].RequestID)
	if body, _ := json.Marshal(call["openai_request"]); status != 200 || !strings.Contains(string(body), long) {
		t.Errorf("the call's body: %d, %d bytes", status, len(body))
	}
}
