package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"qwenproxy/internal/auth"
)

// historyPaths are the history API's prefixes: whatever route is added under
// them must be admin-only.
var historyPaths = []string{"/v1/sessions", "/v1/requests", "/v1/responses", "/v1/stats", "/v1/export"}

func isHistoryPath(p string) bool {
	for _, h := range historyPaths {
		if p == h || strings.HasPrefix(p, h+"/") {
			return true
		}
	}
	return false
}

// Every history route and every delete of history is declared admin in the
// route table, and the table's flag is what refuses a normal key: each admin
// row, called with a normal key while admin keys exist, answers 403 before
// its handler runs (the handlers here have no store and would panic).
func TestRouteTableGuardsEveryAdminRoute(t *testing.T) {
	keys, err := auth.New(context.Background(), []string{"normal-key"}, []string{"admin-key"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{}, Deps{Keys: keys, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h := s.Handler()
	admins := 0
	for _, e := range s.routes() {
		// Model routes on history paths: POST (the Responses API creates
		// there) and rows narrowed to the ids of a key's own objects
		// (resp_…, conv_…), whose deletes leave the history whole.
		modelRoute := e.method == http.MethodPost || e.ids != nil && (e.ids("resp_x") || e.ids("conv_x")) && !e.ids("1")
		if (isHistoryPath(e.path) || e.method == http.MethodDelete) && !modelRoute && !e.admin {
			t.Errorf("%s %s is a history route but not admin in the table", e.method, e.path)
		}
		if !e.admin {
			continue
		}
		admins++
		path := strings.NewReplacer("{id}", "1", "{id...}", "1").Replace(e.path)
		for key, want := range map[string]int{"": http.StatusUnauthorized, "normal-key": http.StatusForbidden} {
			req := httptest.NewRequest(e.method, path, nil)
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != want {
				t.Errorf("%s %s with key %q: %d %s, want %d", e.method, path, key, rec.Code, rec.Body, want)
			}
		}
	}
	if admins < 14 {
		t.Errorf("only %d admin routes in the table", admins)
	}
}

// A route whose rows all narrow their ids answers 404 for an id none takes,
// and 405 (with Allow) for a method it has no row for.
func TestRouteTableDispatch(t *testing.T) {
	s := New(Config{}, Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	mux := http.NewServeMux()
	hit := ""
	s.mount(mux, []endpoint{
		{method: http.MethodGet, path: "/x/{id}", ids: isResponseID, handler: func(http.ResponseWriter, *http.Request) { hit = "model" }},
		{method: http.MethodGet, path: "/x/{id}", ids: isRecordedID, handler: func(http.ResponseWriter, *http.Request) { hit = "history" }},
		{method: http.MethodPost, path: "/y/{id}", ids: isResponseID, handler: func(http.ResponseWriter, *http.Request) { hit = "post" }},
	})
	for path, want := range map[string]string{"/x/resp_abc": "model", "/x/12": "history"} {
		hit = ""
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
		if hit != want {
			t.Errorf("%s: served by %q, want %q", path, hit, want)
		}
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/y/12", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("POST /y/12: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/x/12", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("DELETE /x/12: %d %q", rec.Code, rec.Header().Get("Allow"))
	}
}

// A client whose base URL lacks /v1 (Cline's Anthropic provider pointed at
// http://host:3000, as Claude Code's ANTHROPIC_BASE_URL is given) calls
// POST /messages: the 404 names the route it meant and says where the base
// URL must end, rather than only that no route matched; a client that adds
// /v1 itself (the Anthropic SDKs) given a base URL ending in /v1 calls
// /v1/v1/messages, and is told to leave it out. A path that is no route
// under /v1 either gets the plain 404.
func TestNotFoundNamesTheRouteUnderV1(t *testing.T) {
	s := New(Config{}, Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h := s.Handler()
	for _, c := range []struct{ method, path, want string }{
		{http.MethodPost, "/messages", "did you mean POST /v1/messages? A client's base URL for qwenproxy ends in /v1"},
		{http.MethodPost, "/chat/completions", "did you mean POST /v1/chat/completions?"},
		{http.MethodGet, "/models", "did you mean GET /v1/models?"},
		// The Anthropic SDKs add /v1 themselves: a base URL given with it
		// calls /v1/v1/messages.
		{http.MethodPost, "/v1/v1/messages", "did you mean POST /v1/messages? The client adds /v1 itself: give its base URL without /v1"},
		{http.MethodPost, "/v1/v1/chat/completions", "did you mean POST /v1/chat/completions?"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, strings.NewReader("{}")))
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("%s %s: %d %s, want 404 saying %q", c.method, c.path, rec.Code, rec.Body, c.want)
		}
	}
	for _, path := range []string{"/nothing", "/v1/nothing", "/v1/v1/nothing"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
		if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "did you mean") {
			t.Errorf("POST %s: %d %s, want a plain 404", path, rec.Code, rec.Body)
		}
	}
}

// An OpenAI API the proxy does not serve (embeddings, moderations, audio,
// files, stored chat completions, …), called as an OpenAI SDK calls it, is a
// 404 unsupported_endpoint saying it is not served here and why, not the
// "no route" of a mistyped path; the routes beside them are untouched.
func TestUnsupportedOpenAIAPIsSaySo(t *testing.T) {
	s := New(Config{}, Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h := s.Handler()
	for _, c := range []struct{ method, path, want string }{
		{http.MethodPost, "/v1/embeddings", "no embedding model"},
		{http.MethodPost, "/v1/moderations", "cannot moderate"},
		{http.MethodPost, "/v1/audio/transcriptions", "no audio"},
		{http.MethodGet, "/v1/files", "sent inline"},
		{http.MethodPost, "/v1/batches", "no Batch API"},
		{http.MethodPost, "/v1/images/variations", "/v1/images/edits"},
		{http.MethodGet, "/v1/chat/completions/chatcmpl-1", "stored chat completions are not served"},
		{http.MethodDelete, "/v1/chat/completions/chatcmpl-1", "stored chat completions are not served"},
		{http.MethodPost, "/v1/threads/thread_1/runs", "Assistants API"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, strings.NewReader("{}")))
		body := rec.Body.String()
		if rec.Code != http.StatusNotFound || !strings.Contains(body, `"code":"unsupported_endpoint"`) ||
			!strings.Contains(body, c.method+" "+c.path+" is not supported by qwenproxy") || !strings.Contains(body, c.want) {
			t.Errorf("%s %s: %d %s, want a 404 unsupported_endpoint saying %q", c.method, c.path, rec.Code, body, c.want)
		}
	}
	// Paths that only begin like one are not it; served routes are served.
	for _, c := range []struct {
		method, path string
		code         int
	}{
		{http.MethodPost, "/v1/embeddingsx", http.StatusNotFound},
		{http.MethodGet, "/v1/chat/completions", http.StatusMethodNotAllowed},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.code || strings.Contains(rec.Body.String(), "unsupported_endpoint") {
			t.Errorf("%s %s: %d %s, want %d without unsupported_endpoint", c.method, c.path, rec.Code, rec.Body, c.code)
		}
	}
}

// An id of the wrong kind on a Responses or Conversations route (a chat
// completion's id given to responses.delete, a typo) is that API's 404 for
// an id it does not know, naming the id and its parameter, as an unknown
// resp_ or conv_ id is: until 2026-12-06 it was "no route for DELETE
// /v1/responses/abc", as if the proxy served no such route.
func TestAnIDOfAnotherKindIsNotFoundOnItsRoute(t *testing.T) {
	s := New(Config{}, Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h := s.Handler()
	for _, c := range []struct{ method, path, param, message string }{
		{http.MethodDelete, "/v1/responses/chatcmpl-1", "response_id", "Response with id 'chatcmpl-1' not found."},
		// GET shares its path with the history API's recorded responses,
		// which take a number or a UUID: any other id is the Responses
		// API's unknown one (it was the history's 400 invalid_id).
		{http.MethodGet, "/v1/responses/chatcmpl-1", "response_id", "Response with id 'chatcmpl-1' not found."},
		{http.MethodGet, "/v1/responses/conv_1", "response_id", "Response with id 'conv_1' not found."},
		{http.MethodGet, "/v1/responses/abc", "response_id", "Response with id 'abc' not found."},
		{http.MethodGet, "/v1/responses/msg_1/input_items", "response_id", "Response with id 'msg_1' not found."},
		{http.MethodPost, "/v1/responses/abc/cancel", "response_id", "Response with id 'abc' not found."},
		{http.MethodGet, "/v1/conversations/abc", "conversation_id", "Conversation with id 'abc' not found."},
		{http.MethodPost, "/v1/conversations/abc", "conversation_id", "Conversation with id 'abc' not found."},
		{http.MethodDelete, "/v1/conversations/abc", "conversation_id", "Conversation with id 'abc' not found."},
		{http.MethodGet, "/v1/conversations/abc/items", "conversation_id", "Conversation with id 'abc' not found."},
		{http.MethodPost, "/v1/conversations/abc/items", "conversation_id", "Conversation with id 'abc' not found."},
		{http.MethodGet, "/v1/conversations/abc/items/msg_1", "conversation_id", "Conversation with id 'abc' not found."},
		{http.MethodDelete, "/v1/conversations/abc/items/msg_1", "conversation_id", "Conversation with id 'abc' not found."},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, strings.NewReader("{}")))
		var body struct {
			Error struct{ Message, Type, Code, Param string }
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		if e := body.Error; rec.Code != http.StatusNotFound || e.Message != c.message || e.Param != c.param || e.Code != "not_found" || e.Type != "invalid_request_error" {
			t.Errorf("%s %s: %d %s, want 404 %q naming %s", c.method, c.path, rec.Code, rec.Body, c.message, c.param)
		}
	}
}
