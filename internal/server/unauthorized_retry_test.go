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

// The 401 is in the envelope of the path's API, as that API sends it:
// OpenAI's invalid_api_key is an invalid_request_error (its SDKs and
// clients that read the type expect that one), Anthropic's an
// authentication_error.
func TestUnknownKeyErrorTypeIsTheAPIsOwn(t *testing.T) {
	keys, err := auth.New(context.Background(), []string{"good-key"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := New(Config{}, Deps{Keys: keys, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
	for _, c := range []struct{ path, header, value, want string }{
		{"/v1/chat/completions", "Authorization", "Bearer wrong-key", `"type":"invalid_request_error"`},
		{"/v1/chat/completions", "", "", `"type":"invalid_request_error"`},
		{"/v1/responses", "Authorization", "Bearer wrong-key", `"type":"invalid_request_error"`},
		{"/v1/messages", "X-Api-Key", "wrong-key", `"type":"authentication_error"`},
	} {
		req := httptest.NewRequest(http.MethodPost, c.path, strings.NewReader(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Content-Type", "application/json")
		if c.header != "" {
			req.Header.Set(c.header, c.value)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := strings.ReplaceAll(rec.Body.String(), " ", "")
		if rec.Code != http.StatusUnauthorized || !strings.Contains(body, c.want) {
			t.Errorf("%s with %s %q: %d %s, want 401 with %s", c.path, c.header, c.value, rec.Code, rec.Body, c.want)
		}
		if c.path != "/v1/messages" && !strings.Contains(body, `"code":"invalid_api_key"`) {
			t.Errorf("%s: %s, want code invalid_api_key", c.path, rec.Body)
		}
	}
}
