package qwensim

import (
	"net/http"
	"strings"
	"testing"
)

// Qwen gives every answer its logical status in x-actual-status-code, a
// success's too (qwen-wire.md §5: S7 shows the header on every response;
// S10). The simulator gave it only to failures and streams, so a client
// that misread a success's header went untested.
func TestEveryAnswerCarriesItsLogicalStatus(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	header := func(method, path, body string) string {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", "acw_tc=1; "+LoginCookie())
		req.Header.Set("User-Agent", "Mozilla/5.0 Chrome/149.0.0.0")
		req.Header.Set("x-request-id", "8e6d2b1c-0000-4000-8000-000000000000")
		req.Header.Set("source", "web")
		req.Header.Set("Version", "0.3.11")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: HTTP %d", method, path, resp.StatusCode)
		}
		return resp.Header.Get("X-Actual-Status-Code")
	}
	chatID := newChat2026(t, srv, nil, "normal")
	for _, c := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/v2/models/", ""},
		{http.MethodPost, "/api/v2/chats/new", `{"chatId":"","models":["qwen3-max"],"project_id":"","timestamp":1,"chat_type":"t2t","chat_mode":"normal"}`},
		{http.MethodPost, "/api/v2/chat/completions?chat_id=" + chatID, completion(chatID, "normal", "qwen3-max", false, "hi")},
		{http.MethodPost, "/api/v2/files/getstsToken", `{"filename":"a.png","filesize":"3","filetype":"image"}`},
		{http.MethodDelete, "/api/v2/chats/" + chatID, ""},
	} {
		if got := header(c.method, c.path, c.body); got != "200" {
			t.Errorf("%s %s: x-actual-status-code %q, want 200", c.method, c.path, got)
		}
	}
}
