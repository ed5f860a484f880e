package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"qwenproxy/internal/auth"
)

// A call made with a key the proxy does not know cannot succeed by being
// sent again: the 401 says so (X-Should-Retry: false), on the model routes
// of every client API. Claude Code retries a 401 unless told not to, with
// backoff, printing nothing: a user who mistyped ANTHROPIC_API_KEY waited
// minutes for an answer that never came.
func TestUnknownKeyIsFinal(t *testing.T) {
	keys, err := auth.New(context.Background(), []string{"good-key"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := New(Config{}, Deps{Keys: keys, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
	for _, c := range []struct{ path, header, value string }{
		{"/v1/messages", "X-Api-Key", "wrong-key"},
		{"/v1/messages", "", ""},
		{"/v1/chat/completions", "Authorization", "Bearer wrong-key"},
		{"/v1/responses", "Authorization", "Bearer wrong-key"},
	} {
		req := httptest.NewRequest(http.MethodPost, c.path, strings.NewReader(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Content-Type", "application/json")
		if c.header != "" {
			req.Header.Set(c.header, c.value)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("%s with %s %q: status %d, want 401: %s", c.path, c.header, c.value, rec.Code, rec.Body)
		}
		if got := rec.Header().Get("X-Should-Retry"); got != "false" {
			t.Errorf("%s with %s %q: X-Should-Retry %q, want \"false\"", c.path, c.header, c.value, got)
		}
	}
}
